/**
 * Listens for SIGINT and SIGTERM until `dispose()`. The first signal calls `onFirst`; later ones are
 * ignored, and stay ignored after `dispose()` once one came: `timeout(1)` sends TERM to the command
 * and then to its whole process group, so a second signal follows the first at once and must not kill
 * the process while it winds down to its exit code (130, or 0 for `tandem serve`).
 */
export function listenForInterrupt(onFirst: () => void): { dispose(): void; readonly interrupted: boolean } {
  let interrupted = false;
  const handler = () => {
    if (interrupted) return;
    interrupted = true;
    onFirst();
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    dispose() {
      if (interrupted) return;
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
    get interrupted() {
      return interrupted;
    },
  };
}

/** Settings of the router daemon, from its argv (`--flag value`) or environment. */
export interface DaemonSettings {
  host: string;
  /** With a port, the daemon opens one service named `name` at start (the root admin paths act on it). */
  port?: number;
  holdTimeoutMs: number;
  holdMaxRequests: number;
  name: string;
  token: string;
  /** A second listener that serves only the table's preview version; absent when not configured. */
  previewPort?: number;
}

export function parseDaemonSettings(argv: string[], env: NodeJS.ProcessEnv): DaemonSettings {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (!flag.startsWith("--") || value === undefined)
      throw new Error(`expected --flag value pairs, got "${flag}"`);
    flags.set(flag.slice(2), value);
  }
  const read = (flag: string, envName: string, fallback?: string): string => {
    const value = flags.get(flag) ?? env[envName] ?? fallback;
    if (value === undefined) throw new Error(`--${flag} (or ${envName}) is required`);
    return value;
  };
  const integer = (flag: string, envName: string, fallback?: string): number => {
    const text = read(flag, envName, fallback);
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0)
      throw new Error(`--${flag} must be a whole number, got "${text}"`);
    return value;
  };
  const token = env.TANDEM_ROUTER_TOKEN;
  if (!token) throw new Error("TANDEM_ROUTER_TOKEN is required");
  return {
    host: read("host", "TANDEM_ROUTER_HOST", "127.0.0.1"),
    ...(flags.has("port") || env.TANDEM_ROUTER_PORT !== undefined
      ? { port: integer("port", "TANDEM_ROUTER_PORT") }
      : {}),
    holdTimeoutMs: integer("hold-timeout", "TANDEM_ROUTER_HOLD_TIMEOUT", "30000"),
    holdMaxRequests: integer("hold-max-requests", "TANDEM_ROUTER_HOLD_MAX_REQUESTS", "1000"),
    name: read("name", "TANDEM_ROUTER_NAME", "router"),
    token,
    ...(flags.has("preview-port") || env.TANDEM_ROUTER_PREVIEW_PORT !== undefined
      ? { previewPort: integer("preview-port", "TANDEM_ROUTER_PREVIEW_PORT") }
      : {}),
  };
}

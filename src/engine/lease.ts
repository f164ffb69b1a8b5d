import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { TandemError } from "../core/errors.js";
import { isProcessAlive } from "../core/process-alive.js";
import type { Store } from "../store/types.js";

/** Identifies one engine process: host, pid and a nonce (pids are reused). */
export function newHolderId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
}

/** The lease an engine holds while it drives a release. */
export function leaseNameOf(releaseId: string): string {
  return `release:${releaseId}`;
}

/** True when the holder ran on this host and its process is gone, so its lease can be taken at once. */
export function holderIsDead(holder: string): boolean {
  const [host, pid] = holder.split(":");
  return host === hostname() && pid !== undefined && !isProcessAlive(Number(pid));
}

/**
 * One engine drives a release at a time. A lease held by an engine that died (SIGKILL) on this host is
 * taken over immediately; one held elsewhere expires after its TTL.
 */
export async function takeLease(store: Store, name: string, holder: string, ttlMs: number, now: number) {
  if (await store.acquireLease(name, holder, ttlMs, now)) return;
  const lease = await store.getLease(name);
  if (
    lease &&
    holderIsDead(lease.holder) &&
    (await store.acquireLease(name, holder, ttlMs, now, lease.holder))
  ) {
    return;
  }
  const [host, pid] = (lease?.holder ?? "?:?").split(":");
  throw new TandemError(
    "TANDEM_ERR_LEASE",
    `${name} is being driven by another engine (pid ${pid} on ${host})`,
    {
      hint: "wait for it to finish, or stop that process; its lease expires if it dies",
    },
  );
}

import type { EventType, Severity } from "../core/types.js";
import type { HookRunner } from "../hooks/types.js";

export interface EventDraft {
  type: EventType;
  severity?: Severity;
  service?: string;
  message: string;
  data?: Record<string, unknown>;
}

/** What one reconcile pass carries: its time (read once), its cancellation, and the events it emits. */
export interface PassContext {
  now: number;
  signal: AbortSignal;
  emit(event: EventDraft): void;
  /** The release this pass works on. */
  release: { id: string; project: string; environment: string; createdBy: string };
  hooks: HookRunner;
  /** Where `${env:X}` / `${secret:X}` placeholders kept in stored specs are read when they run. */
  env: NodeJS.ProcessEnv;
}

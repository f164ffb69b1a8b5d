import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleAll,
} from "cockatiel";
import { redactSecrets } from "../config/redact.js";
import type { Clock } from "../core/clock.js";
import type { NotificationChannelConfig } from "../core/config.js";
import { NotifyTimeoutError, withTimeout } from "./timeout.js";
import type { Notification, Notifier } from "./types.js";

export interface BreakerOptions {
  /** Consecutive failed attempts that open the circuit. Default 5. */
  threshold: number;
  /** How long the circuit stays open before one trial attempt (half-open). Default 30s. */
  halfOpenAfterMs: number;
}

export const DEFAULT_BREAKER: BreakerOptions = { threshold: 5, halfOpenAfterMs: 30_000 };

export type AttemptOutcome =
  | { kind: "delivered" }
  | { kind: "failed"; error: string }
  /** The circuit is open: nothing was attempted; try again at `until`. */
  | { kind: "open"; until: number }
  /** The dispatcher stopped during the attempt; it does not count. */
  | { kind: "cancelled" };

export type BreakerState = "closed" | "open" | "half-open";

/**
 * One channel's sending side: its Notifier behind a cockatiel circuit breaker, each attempt bounded by
 * the channel's timeout (the notifier's signal is aborted then). Never throws.
 */
export class ChannelSender {
  private readonly breaker: CircuitBreakerPolicy;
  private openedAt = 0;
  /** Times the circuit opened, for logs and tests. */
  opened = 0;

  constructor(
    readonly config: NotificationChannelConfig,
    private readonly notifier: Notifier,
    private readonly clock: Clock,
    private readonly options: BreakerOptions = DEFAULT_BREAKER,
    onChange: (state: BreakerState) => void = () => {},
  ) {
    this.breaker = circuitBreaker(handleAll, {
      halfOpenAfter: options.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(options.threshold),
    });
    this.breaker.onBreak(() => {
      this.openedAt = this.clock.now();
      this.opened += 1;
    });
    this.breaker.onStateChange(() => onChange(this.state));
  }

  get state(): BreakerState {
    switch (this.breaker.state) {
      case CircuitState.Closed:
        return "closed";
      case CircuitState.HalfOpen:
        return "half-open";
      default:
        return "open";
    }
  }

  async attempt(notification: Notification, signal: AbortSignal): Promise<AttemptOutcome> {
    if (signal.aborted) return { kind: "cancelled" };
    try {
      await this.breaker.execute(() =>
        withTimeout(
          this.clock,
          this.config.timeout,
          signal,
          () => new NotifyTimeoutError(this.config.name, this.config.timeout),
          (bounded) => this.notifier.send(notification, bounded),
        ),
      );
      return { kind: "delivered" };
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        return { kind: "open", until: this.openedAt + this.options.halfOpenAfterMs };
      }
      if (signal.aborted) return { kind: "cancelled" };
      return { kind: "failed", error: describe(error) };
    }
  }
}

/** One line, without secrets (a webhook URL with a token in it, for instance). */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message || error.name : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return redactSecrets(`${message}${cause}`);
}

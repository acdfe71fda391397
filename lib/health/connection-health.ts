import { UpstreamCredentialsRejectedError } from "../errors.ts";

/**
 * A connection's last outcome, shared by every instance (in the token table item) or kept in
 * process (memory cache). Never a value: times, problem types, upstream statuses and codes.
 */
export interface ConnectionHealth {
  lastOutcomeAt?: number;
  lastOutcome?: "ok" | "failed";
  lastProblemType?: string;
  lastUpstreamStatus?: number;
  lastUpstreamError?: string;
  consecutiveFailures: number;
  /**
   * The upstream rejected the credentials themselves: no call with this secret version until then
   * (after it, one probe at a time: the refresh lease). A new secret version is tried at once.
   */
  rejectedUntil?: number;
  rejectedSecretVersion?: string;
}

export interface FailureReport {
  at: number;
  problemType: string;
  upstreamStatus?: number;
  upstreamError?: string;
  /** Set when the credentials were rejected: opens the breaker for this secret version. */
  rejectedSecretVersion?: string;
}

export interface HealthStore {
  readHealth(key: string): Promise<ConnectionHealth | undefined>;
  recordFailure(key: string, failure: FailureReport): Promise<ConnectionHealth>;
  recordSuccess(key: string, at: number): Promise<void>;
}

/** Dead-credential backoff: 30 s, doubling per consecutive rejection, at most 15 minutes. */
export function rejectedBackoffMs(consecutiveFailures: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, consecutiveFailures - 1), 15 * 60_000);
}

/** Whether the breaker refuses an upstream call with this secret version now. */
export function rejectsNow(
  health: ConnectionHealth | undefined,
  secretVersion: string,
  now: number,
): boolean {
  return (
    health?.rejectedUntil !== undefined &&
    health.rejectedUntil > now &&
    health.rejectedSecretVersion === secretVersion
  );
}

/** Health in process: the memory-only cache's counterpart of the table's attributes. */
export class MemoryHealthStore implements HealthStore {
  readonly #health = new Map<string, ConnectionHealth>();

  async readHealth(key: string): Promise<ConnectionHealth | undefined> {
    return this.#health.get(key);
  }

  async recordFailure(key: string, failure: FailureReport): Promise<ConnectionHealth> {
    const consecutiveFailures = (this.#health.get(key)?.consecutiveFailures ?? 0) + 1;
    const health: ConnectionHealth = {
      lastOutcomeAt: failure.at,
      lastOutcome: "failed",
      lastProblemType: failure.problemType,
      ...(failure.upstreamStatus !== undefined ? { lastUpstreamStatus: failure.upstreamStatus } : {}),
      ...(failure.upstreamError !== undefined ? { lastUpstreamError: failure.upstreamError } : {}),
      consecutiveFailures,
      ...(failure.rejectedSecretVersion !== undefined
        ? {
            rejectedUntil: failure.at + rejectedBackoffMs(consecutiveFailures),
            rejectedSecretVersion: failure.rejectedSecretVersion,
          }
        : {}),
    };
    this.#health.set(key, health);
    return health;
  }

  async recordSuccess(key: string, at: number): Promise<void> {
    this.#health.set(key, { lastOutcomeAt: at, lastOutcome: "ok", consecutiveFailures: 0 });
  }
}

/** The answer while the breaker is open: the problem at once, with when to try again. */
export function credentialsRejectedError(remainingMs: number): UpstreamCredentialsRejectedError {
  const error = new UpstreamCredentialsRejectedError(
    "The upstream rejected this connection's credentials; the broker retries them with backoff, or at once when the secret changes.",
  );
  error.retryAfterSeconds = Math.max(1, Math.ceil(remainingMs / 1000));
  return error;
}

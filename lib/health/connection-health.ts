import { UpstreamCredentialsRejectedError, UpstreamError } from "../errors.ts";
import type { TransitionStore } from "../events/lifecycle-events.ts";

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
   * The token endpoint keeps refusing (the credentials, or any other 4xx but 429): no call with
   * this secret version until then (after it, one probe at a time: the refresh lease). A new
   * secret version is tried at once; a changed connection config is a new item altogether.
   */
  rejectedUntil?: number;
  rejectedSecretVersion?: string;
}

export interface FailureReport {
  at: number;
  problemType: string;
  upstreamStatus?: number;
  upstreamError?: string;
  /** Set when the token endpoint refused (isPersistentRefusal): opens the breaker for this version. */
  rejectedSecretVersion?: string;
}

export interface HealthStore extends TransitionStore {
  readHealth(key: string): Promise<ConnectionHealth | undefined>;
  recordFailure(key: string, failure: FailureReport): Promise<ConnectionHealth>;
  recordSuccess(key: string, at: number): Promise<void>;
  /**
   * Claims the connection's one caller-forced refresh per interval, for every instance at once:
   * undefined when claimed, else how long until the next may be (ms).
   */
  claimForcedRefresh(key: string, at: number, intervalMs: number): Promise<number | undefined>;
}

/**
 * A refusal that will repeat until something changes (the secret, the connection's config, the
 * vendor's side): the credentials rejected, or any other 4xx but 429 and 408 (RFC 6749 5.2
 * `invalid_scope`, `unauthorized_client`, `access_denied`, a 404 for a wrong installation).
 * Such a token endpoint is called once per backoff, never once per request.
 */
export function isPersistentRefusal(error: unknown): error is UpstreamError {
  if (error instanceof UpstreamCredentialsRejectedError) return true;
  if (!(error instanceof UpstreamError) || error.upstreamStatus === undefined) return false;
  const status = error.upstreamStatus;
  return status >= 400 && status < 500 && status !== 429 && status !== 408;
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

  readonly #announced = new Map<string, string>();
  async claimTransition(
    key: string,
    topic: string,
    state: string,
    options: { onlyFromOther?: boolean } = {},
  ): Promise<{ claimed: boolean; previous?: string }> {
    const previous = this.#announced.get(`${topic}\u0000${key}`);
    if (previous === state || (options.onlyFromOther && previous === undefined)) return { claimed: false };
    this.#announced.set(`${topic}\u0000${key}`, state);
    return { claimed: true, ...(previous !== undefined ? { previous } : {}) };
  }

  /** In process: this store serves the memory-only cache, which is one process by definition. */
  readonly #forced = new Map<string, number>();
  async claimForcedRefresh(key: string, at: number, intervalMs: number): Promise<number | undefined> {
    const last = this.#forced.get(key);
    if (last !== undefined && at - last < intervalMs) return intervalMs - (at - last);
    this.#forced.set(key, at);
    return undefined;
  }
}

/**
 * The answer while the breaker is open, to every caller on every instance (the one whose request
 * opened it included): the refusal's own problem type at once, with when to try again.
 */
export function breakerOpenError(
  health: ConnectionHealth,
  now: number,
  options?: ErrorOptions,
): UpstreamError {
  const details = {
    ...(health.lastUpstreamStatus !== undefined ? { upstreamStatus: health.lastUpstreamStatus } : {}),
    ...(health.lastUpstreamError !== undefined ? { oauthError: health.lastUpstreamError } : {}),
  };
  const error =
    health.lastProblemType === undefined || health.lastProblemType === CREDENTIALS_REJECTED
      ? new UpstreamCredentialsRejectedError(
          "The upstream rejected this connection's credentials; the broker retries them with backoff, or at once when the secret changes.",
          details,
          options,
        )
      : new UpstreamError(
          `The upstream keeps refusing this connection's token request${details.upstreamStatus ? ` (HTTP ${details.upstreamStatus}${details.oauthError ? `, ${details.oauthError}` : ""})` : ""}; the broker retries with backoff, or at once when the secret or the connection changes.`,
          details,
          options,
        );
  error.retryAfterSeconds = Math.max(1, Math.ceil(((health.rejectedUntil ?? now) - now) / 1000));
  return error;
}

const CREDENTIALS_REJECTED = new UpstreamCredentialsRejectedError("").type;

import { toBrokerError, UpstreamCredentialsRejectedError, UpstreamError } from "../errors.ts";
import { logger } from "../observability/logger.ts";
import { countConnectionMetric, METRIC } from "../observability/metrics.ts";
import {
  breakerOpenError,
  type ConnectionHealth,
  type HealthStore,
  isPersistentRefusal,
  rejectsNow,
} from "./connection-health.ts";

/**
 * The breaker of a token endpoint that keeps refusing, and the health record it lives in (the
 * shared item, or in process with the memory cache). Recording never fails a request: a store
 * that cannot be written is logged and the request goes on.
 */
export class ConnectionBreaker {
  readonly #store: HealthStore;
  readonly #now: () => number;

  constructor(store: HealthStore, now: () => number) {
    this.#store = store;
    this.#now = now;
  }

  /** The connection's health, or undefined when there is none or it cannot be read. */
  read(cacheKey: string): Promise<ConnectionHealth | undefined> {
    return this.#store.readHealth(cacheKey).catch(() => undefined);
  }

  /** Throws the breaker's answer when it is open for this secret version. */
  assertClosed(health: ConnectionHealth | undefined, secretVersion: string): void {
    if (health && rejectsNow(health, secretVersion, this.#now())) throw breakerOpenError(health, this.#now());
  }

  /** A success after failures closes the breaker and clears the record. */
  async succeeded(connection: string, cacheKey: string, before: ConnectionHealth | undefined): Promise<void> {
    if (!before || before.lastOutcome === "ok") return;
    try {
      await this.#store.recordSuccess(cacheKey, this.#now());
    } catch (error) {
      this.#notRecorded(connection, error);
    }
  }

  /**
   * Records a failure (opening the breaker for a persistent refusal) and returns what the caller
   * is answered: for a persistent refusal the breaker's problem with Retry-After, as every other
   * caller gets it; otherwise the error itself.
   */
  async failed(
    connection: string,
    cacheKey: string,
    error: unknown,
    secretVersion: string,
  ): Promise<unknown> {
    const problem = toBrokerError(error);
    const credentials = error instanceof UpstreamCredentialsRejectedError;
    const refused = isPersistentRefusal(error);
    countConnectionMetric(connection, credentials ? METRIC.credentialsRejected : METRIC.connectionFailure);
    let health: ConnectionHealth;
    try {
      health = await this.#store.recordFailure(cacheKey, {
        at: this.#now(),
        problemType: problem.type,
        ...(error instanceof UpstreamError && error.upstreamStatus !== undefined
          ? { upstreamStatus: error.upstreamStatus }
          : {}),
        ...(error instanceof UpstreamError && error.oauthError !== undefined
          ? { upstreamError: error.oauthError }
          : {}),
        ...(refused ? { rejectedSecretVersion: secretVersion } : {}),
      });
    } catch (storeError) {
      this.#notRecorded(connection, storeError);
      return error;
    }
    if (!refused || health.rejectedUntil === undefined) return error;
    logger.warn(
      credentials
        ? "upstream rejected the connection's credentials; backing off"
        : "upstream keeps refusing the connection's token request; backing off",
      {
        connection,
        problemType: problem.type,
        ...(health.lastUpstreamStatus !== undefined ? { upstreamStatus: health.lastUpstreamStatus } : {}),
        consecutiveFailures: health.consecutiveFailures,
        retryAt: new Date(health.rejectedUntil).toISOString(),
      },
    );
    return breakerOpenError(health, this.#now(), { cause: error });
  }

  #notRecorded(connection: string, error: unknown): void {
    logger.warn("could not record connection health", {
      connection,
      errorName: (error as Error)?.name,
    });
  }
}

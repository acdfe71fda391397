import { toBrokerError, UpstreamCredentialsRejectedError, UpstreamError } from "../errors.ts";
import { logger } from "../observability/logger.ts";
import { countConnectionMetric, METRIC } from "../observability/metrics.ts";
import { FAILING_AFTER, type LifecycleEvents } from "../events/lifecycle-events.ts";
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
  readonly #events: LifecycleEvents | undefined;

  constructor(store: HealthStore, now: () => number, events?: LifecycleEvents) {
    this.#store = store;
    this.#now = now;
    this.#events = events;
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
      return;
    }
    // Announced once, by whoever moves the announced state back to ok (never from no state at all).
    await this.#events?.onTransition(
      connection,
      cacheKey,
      "health",
      "ok",
      (previous) =>
        previous === undefined || previous === "ok"
          ? undefined
          : {
              type: "connection-recovered",
              detail: {
                previousState: previous.startsWith("credentials-rejected")
                  ? "credentials-rejected"
                  : "refreshes-failing",
              },
            },
      { onlyFromOther: true },
    );
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
    const upstreamStatus =
      health.lastUpstreamStatus !== undefined ? { upstreamStatus: health.lastUpstreamStatus } : {};
    if (!refused || health.rejectedUntil === undefined) {
      if (health.consecutiveFailures >= FAILING_AFTER) {
        await this.#events?.onTransition(connection, cacheKey, "health", "refreshes-failing", () => ({
          type: "refreshes-failing",
          detail: {
            consecutiveFailures: health.consecutiveFailures,
            problemType: problem.type,
            ...upstreamStatus,
          },
        }));
      }
      return error;
    }
    const retryAt = new Date(health.rejectedUntil).toISOString();
    await this.#events?.onTransition(
      connection,
      cacheKey,
      "health",
      `credentials-rejected:${secretVersion}`,
      () => ({
        type: "credentials-rejected",
        detail: { secretVersion, problemType: problem.type, ...upstreamStatus, retryAt },
      }),
    );
    logger.warn(
      credentials
        ? "upstream rejected the connection's credentials; backing off"
        : "upstream keeps refusing the connection's token request; backing off",
      {
        connection,
        problemType: problem.type,
        ...(health.lastUpstreamStatus !== undefined ? { upstreamStatus: health.lastUpstreamStatus } : {}),
        consecutiveFailures: health.consecutiveFailures,
        retryAt,
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

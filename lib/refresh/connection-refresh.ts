import type { RefreshPolicy } from "../cache/token-cache.ts";
import type { Connection } from "../connections/connection-registry.ts";
import { ForcedRefreshRateLimitedError, UpstreamInvalidResponseError } from "../errors.ts";
import type { ConnectionBreaker } from "../health/breaker.ts";
import type { ConnectionHealth, HealthStore } from "../health/connection-health.ts";
import { logger } from "../observability/logger.ts";
import { countMetric, METRIC } from "../observability/metrics.ts";
import type { ExchangingScheme, SchemeContext, TokenSet } from "../schemes/scheme.ts";
import type { Secret, SecretSource } from "../secrets/secret-source.ts";
import { MIN_REMAINING_MS, tokenIdOf } from "./token-rules.ts";
import type { LifecycleEvents } from "../events/lifecycle-events.ts";

export interface RefreshRequest {
  /** Treat tokens with less than this left (or refresh tokens) as stale: prewarm's look-ahead. */
  minRemainingMs?: number;
  /** The upstream refused the token with this id: never serve it again. */
  rejectedTokenId?: string;
  /** A caller's report (token route): at most one forced refresh per connection's interval. */
  callerReported?: boolean;
}

export interface ConnectionRefreshDeps {
  connection: Connection;
  scheme: ExchangingScheme;
  secrets: SecretSource;
  breaker: ConnectionBreaker;
  /** Where the forced-refresh interval is claimed (the shared item, or in process). */
  health: HealthStore;
  events?: LifecycleEvents;
  now: () => number;
  context: (secret: Secret) => Omit<SchemeContext, "refreshTokenSpent">;
}

/**
 * How one request judges a connection's cached token and gets a new one (the cache decides when
 * to call what). It holds the secret the request works with: the one it read, or a newer one it
 * adopts when another instance's token came from a version this process has not seen yet.
 */
export class ConnectionRefresh implements RefreshPolicy {
  readonly #deps: ConnectionRefreshDeps;
  readonly #request: RefreshRequest;
  readonly #marginMs: number;
  #secret: Secret;
  #refreshTokenSpent = false;

  constructor(deps: ConnectionRefreshDeps, secret: Secret, request: RefreshRequest) {
    this.#deps = deps;
    this.#request = request;
    this.#secret = secret;
    const { config } = deps.connection;
    const skewMs = ("skewSeconds" in config ? config.skewSeconds : 0) * 1000;
    this.#marginMs = Math.max(skewMs, MIN_REMAINING_MS, request.minRemainingMs ?? 0);
  }

  /** The secret the answer's headers are rendered with. */
  get secret(): Secret {
    return this.#secret;
  }

  secretVersion(): string {
    return this.#secret.versionId;
  }

  refreshTokenSpent(): boolean {
    return this.#refreshTokenSpent;
  }

  isFresh(tokens: TokenSet): boolean {
    const now = this.#deps.now();
    const { minRemainingMs } = this.#request;
    return (
      this.#servable(tokens) &&
      tokens.expiresAt - this.#marginMs > now &&
      // Prewarm keeps refresh-token chains alive: refresh before the refresh token runs out too.
      (minRemainingMs === undefined ||
        tokens.refreshExpiresAt === undefined ||
        tokens.refreshExpiresAt - minRemainingMs > now)
    );
  }

  isUsable(tokens: TokenSet): boolean {
    return this.#servable(tokens) && tokens.expiresAt - MIN_REMAINING_MS > this.#deps.now();
  }

  async refresh(
    current: TokenSet | undefined,
    known?: { health: ConnectionHealth | undefined; abandonedLease?: boolean },
  ): Promise<TokenSet> {
    const { connection, scheme, secrets, breaker, now } = this.#deps;
    const { config, cacheKey } = connection;
    if (current && !this.#sameSecret(current)) {
      // Another instance obtained this token with a secret version we have not seen: if ours is
      // the stale one, adopt theirs instead of refreshing with a rotated-out secret.
      const reread = await secrets.get(config.secret, { forceRefresh: true });
      if (reread.versionId !== this.#secret.versionId) this.#secret = reread;
      if (this.isFresh(current)) return current;
    }
    if (
      this.#request.callerReported &&
      current &&
      tokenIdOf(current.accessToken) === this.#request.rejectedTokenId
    ) {
      await this.#claimForcedRefresh();
    }
    // A token endpoint that keeps refusing: no upstream call with this secret version until the
    // breaker's backoff has passed (then this refresh is the probe: one at a time, under the lease).
    const health = known ? known.health : await breaker.read(cacheKey);
    breaker.assertClosed(health, this.#secret.versionId);
    let tokens: TokenSet;
    try {
      tokens = await scheme.obtain(
        {
          ...this.#deps.context(this.#secret),
          refreshTokenSpent: () => {
            this.#refreshTokenSpent = true;
          },
        },
        current && this.#sameSecret(current) ? current : undefined,
      );
      // A fresh token is held to the margin like a cached one: the caller must be able to use it.
      if (tokens.expiresAt - MIN_REMAINING_MS <= now()) {
        throw new UpstreamInvalidResponseError(
          `The upstream issued a token with less than ${MIN_REMAINING_MS / 1000} s to live; it is not handed out.`,
        );
      }
    } catch (error) {
      countMetric(METRIC.refreshFailure);
      throw await breaker.failed(config.name, cacheKey, error, this.#secret.versionId);
    }
    await breaker.succeeded(config.name, cacheKey, health);
    await this.#announce(current, tokens, known?.abandonedLease === true);
    return tokens;
  }

  /**
   * Events this refresh decided, under the refresh lease (one holder across instances): a token
   * from a secret version other than the one before it, and a dead lease holder's chain re-exchanged.
   */
  async #announce(previous: TokenSet | undefined, tokens: TokenSet, abandonedLease: boolean): Promise<void> {
    const { events, connection } = this.#deps;
    if (!events) return;
    const name = connection.config.name;
    if (previous && previous.secretVersion !== tokens.secretVersion) {
      await events.publish(name, {
        type: "secret-version-first-used",
        detail: { secretVersion: tokens.secretVersion, previousSecretVersion: previous.secretVersion },
      });
    }
    if (abandonedLease)
      await events.publish(name, { type: "lease-holder-died", detail: { reExchanged: true } });
  }

  /**
   * A caller saw the cached token rejected: one forced refresh per interval for the whole
   * connection, claimed in the shared item (across instances the lease and the version check also
   * make many reports of one token a single refresh).
   */
  async #claimForcedRefresh(): Promise<void> {
    const { connection, health, now } = this.#deps;
    const interval = connection.config.forcedRefresh?.minIntervalMs ?? 0;
    const waitMs = await health
      .claimForcedRefresh(connection.cacheKey, now(), interval)
      .catch(() => undefined); // the table is failing: the cache serves without it
    if (waitMs !== undefined) throw new ForcedRefreshRateLimitedError(Math.ceil(waitMs / 1000));
    countMetric(METRIC.forcedRefresh);
    logger.info("forced refresh: a caller reported the cached token rejected", {
      connection: connection.config.name,
    });
  }

  #sameSecret(tokens: TokenSet): boolean {
    return tokens.secretVersion === this.#secret.versionId;
  }

  #servable(tokens: TokenSet): boolean {
    const { rejectedTokenId } = this.#request;
    return (
      this.#sameSecret(tokens) &&
      (rejectedTokenId === undefined || tokenIdOf(tokens.accessToken) !== rejectedTokenId)
    );
  }
}

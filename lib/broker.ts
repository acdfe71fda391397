import { createHash } from "node:crypto";
import type { AccessRule } from "./auth/access-policy.ts";
import { MemoryTokenCache } from "./cache/memory-token-cache.ts";
import type { CachedTokens, TokenCache } from "./cache/token-cache.ts";
import type { BrokerConfig, ConnectionConfig } from "./config/broker-config.ts";
import type { UpstreamPolicy } from "./config/upstream-url.ts";
import {
  ConnectionNotFoundError,
  ForcedRefreshRateLimitedError,
  toBrokerError,
  UpstreamCredentialsRejectedError,
  UpstreamError,
  UpstreamInvalidResponseError,
} from "./errors.ts";
import {
  breakerOpenError,
  type ConnectionHealth,
  type HealthStore,
  isPersistentRefusal,
  MemoryHealthStore,
  rejectsNow,
} from "./health/connection-health.ts";
import { logger } from "./observability/logger.ts";
import { countConnectionMetric, countMetric, METRIC } from "./observability/metrics.ts";
import { registerSensitive } from "./observability/redact.ts";
import { SCHEMES } from "./schemes/registry.ts";
import type { CredentialScheme, ExchangingScheme, SchemeContext, TokenSet } from "./schemes/scheme.ts";
import type { Secret, SecretSource } from "./secrets/secret-source.ts";
import { HttpClient } from "./upstream/http-client.ts";

/** A cached token is never handed out with less than this left: the caller must be able to use it. */
export const MIN_REMAINING_MS = 5_000;

/** A connection whose credentials were rejected re-reads its secret at most this often per process. */
const SECRET_RECHECK_MS = 5_000;

/** 128 bits of SHA-256: names a token without revealing it (tokens are high-entropy secrets). */
export function tokenIdOf(accessToken: string): string {
  return createHash("sha256").update(accessToken).digest("base64url").slice(0, 22);
}

export interface BrokerOptions {
  config: BrokerConfig;
  secrets: SecretSource;
  cache?: TokenCache;
  /** Where connection health lives: the token table with the shared cache, else in process. */
  health?: HealthStore;
  now?: () => number;
  /** Overrides the per-connection HTTP client (tests). */
  http?: HttpClient;
}

export interface IssuedCredential {
  connection: string;
  headers: Record<string, string>;
  /** Epoch milliseconds. */
  expiresAt: number;
  source: "minted" | CachedTokens["source"];
  /**
   * Exchanged credentials: a short hash naming the upstream token (never the token), which a
   * caller that saw it rejected sends back to ask for a new one.
   */
  tokenId?: string;
}

export interface ConnectionSummary {
  name: string;
  scheme: string;
  preset?: string;
  description?: string;
  delivery: ConnectionConfig["delivery"];
}

export interface GetCredentialOptions {
  /** Treat tokens with less than this left (or refresh tokens) as stale: prewarm's look-ahead. */
  minRemainingMs?: number;
  /**
   * The upstream refused the token with this id: never serve it again. Only a cache still holding
   * it refreshes, so many callers reporting the same token cause one refresh, not many.
   */
  rejectedTokenId?: string;
  /** A caller's report (token route): at most one forced refresh per connection's interval. */
  callerReported?: boolean;
}

interface Connection {
  config: ConnectionConfig;
  /** Connection name plus a fingerprint of its config: changing scope or URL never serves old tokens. */
  cacheKey: string;
  scheme: CredentialScheme;
  http: HttpClient;
}

/**
 * The broker: resolves a connection's secret, then mints a credential or serves a cached upstream
 * token (refreshing through the cache's single flight). Framework-free: handlers adapt it to HTTP.
 */
export class Broker {
  readonly #connections = new Map<string, Connection>();
  readonly #secrets: SecretSource;
  readonly #cache: TokenCache;
  readonly #health: HealthStore;
  readonly #now: () => number;
  readonly #upstreamPolicy: UpstreamPolicy;
  /** Last forced secret re-read after a credentials rejection, per connection (rate limit). */
  readonly #rechecked = new Map<string, number>();

  constructor(options: BrokerOptions) {
    this.#secrets = options.secrets;
    this.#cache = options.cache ?? new MemoryTokenCache();
    this.#health = options.health ?? new MemoryHealthStore();
    this.#now = options.now ?? Date.now;
    this.#upstreamPolicy = options.config.upstreamPolicy ?? "local";
    for (const [name, config] of options.config.connections) {
      const definition = SCHEMES.find((s) => s.name === config.scheme);
      if (!definition) throw new Error(`No scheme ${config.scheme}`);
      const scheme = (definition.create as (c: ConnectionConfig) => CredentialScheme)(config);
      const http =
        options.http ?? new HttpClient({ ...("http" in config ? config.http : {}) }, { now: this.#now });
      // Delivery and proxy settings do not change what the upstream issues: not part of the key.
      const { delivery: _d, proxy: _p, ...issuing } = config;
      const cacheKey = `${name}#${createHash("sha256").update(JSON.stringify(issuing)).digest("base64url").slice(0, 16)}`;
      this.#connections.set(name, { config, scheme, http, cacheKey });
    }
  }

  listConnections(): ConnectionSummary[] {
    return [...this.#connections.values()].map(({ config }) => ({
      name: config.name,
      scheme: config.scheme,
      ...(config.preset ? { preset: config.preset } : {}),
      ...(config.description ? { description: config.description } : {}),
      delivery: config.delivery,
    }));
  }

  /** A connection's validated config (delivery and proxy settings included), if it exists. */
  connection(name: string): ConnectionConfig | undefined {
    return this.#connections.get(name)?.config;
  }

  /** The broker's clock (epoch ms), so answers and tests agree on "now". */
  now(): number {
    return this.#now();
  }

  /** The connection's caller allow-list (undefined: nobody may use it). */
  accessPolicy(name: string): readonly AccessRule[] | undefined {
    return this.#connections.get(name)?.config.access;
  }

  /** Connections whose tokens the schedule keeps warm: prewarm-enabled and exchanged. */
  prewarmConnections(): string[] {
    return [...this.#connections.values()]
      .filter(({ config }) => "prewarm" in config && config.prewarm)
      .map(({ config }) => config.name);
  }

  /** The token cache key of an exchanged connection (operators and tests inspect the table with it). */
  cacheKeyOf(name: string): string | undefined {
    return this.#connections.get(name)?.cacheKey;
  }

  has(name: string): boolean {
    return this.#connections.has(name);
  }

  async getCredential(name: string, options: GetCredentialOptions = {}): Promise<IssuedCredential> {
    const connection = this.#connections.get(name);
    if (!connection) throw new ConnectionNotFoundError();
    const secret = await this.#secrets.get(connection.config.secret);
    const { scheme } = connection;
    if (scheme.kind === "minted") {
      const credential = await scheme.mint(this.#context(connection, secret));
      countMetric(METRIC.minted);
      return { connection: name, ...credential, source: "minted" };
    }
    try {
      return await this.#exchanged(connection, scheme, secret, options);
    } catch (error) {
      if (!(error instanceof UpstreamCredentialsRejectedError)) throw error;
      // The secret may have been rotated since we cached it: re-read once, retry only if it changed.
      // At most every few seconds per connection: while the credentials stay dead, every request
      // lands here, and Secrets Manager must not take their load.
      const last = this.#rechecked.get(name) ?? Number.NEGATIVE_INFINITY;
      if (this.#now() - last < SECRET_RECHECK_MS) throw error;
      this.#rechecked.set(name, this.#now());
      const reread = await this.#secrets.get(connection.config.secret, { forceRefresh: true });
      if (reread.versionId === secret.versionId) throw error;
      logger.info("secret rotated; retrying with the new version", { connection: name });
      return this.#exchanged(connection, scheme, reread, options);
    }
  }

  async #exchanged(
    connection: Connection,
    scheme: ExchangingScheme,
    initialSecret: Secret,
    options: GetCredentialOptions,
  ): Promise<IssuedCredential> {
    const { config } = connection;
    let secret = initialSecret;
    const skewMs = ("skewSeconds" in config ? config.skewSeconds : 0) * 1000;
    const marginMs = Math.max(skewMs, MIN_REMAINING_MS, options.minRemainingMs ?? 0);
    const { rejectedTokenId } = options;
    const sameSecret = (t: TokenSet) => t.secretVersion === secret.versionId;
    const servable = (t: TokenSet) =>
      sameSecret(t) && (rejectedTokenId === undefined || tokenIdOf(t.accessToken) !== rejectedTokenId);
    const fresh = (t: TokenSet) =>
      servable(t) &&
      t.expiresAt - marginMs > this.#now() &&
      // Prewarm keeps refresh-token chains alive: refresh before the refresh token runs out too.
      (options.minRemainingMs === undefined ||
        t.refreshExpiresAt === undefined ||
        t.refreshExpiresAt - options.minRemainingMs > this.#now());
    const { tokens, source } = await this.#cache.get(connection.cacheKey, {
      isFresh: fresh,
      isUsable: (t) => servable(t) && t.expiresAt - MIN_REMAINING_MS > this.#now(),
      refresh: async (current) => {
        if (current && !sameSecret(current)) {
          // Another instance obtained this token with a secret version we have not seen: if ours
          // is the stale one, adopt theirs instead of refreshing with a rotated-out secret.
          const reread = await this.#secrets.get(config.secret, { forceRefresh: true });
          if (reread.versionId !== secret.versionId) secret = reread;
          if (fresh(current)) return current;
        }
        if (options.callerReported && current && tokenIdOf(current.accessToken) === rejectedTokenId) {
          // A caller saw the cached token rejected: one forced refresh per interval for the whole
          // connection, claimed in the shared item (across instances the lease and the version
          // check also make many reports of one token a single refresh).
          const interval = config.forcedRefresh?.minIntervalMs ?? 0;
          const waitMs = await this.#health
            .claimForcedRefresh(connection.cacheKey, this.#now(), interval)
            .catch(() => undefined); // the table is failing: the cache serves without it
          if (waitMs !== undefined) throw new ForcedRefreshRateLimitedError(Math.ceil(waitMs / 1000));
          countMetric(METRIC.forcedRefresh);
          logger.info("forced refresh: a caller reported the cached token rejected", {
            connection: config.name,
          });
        }
        // A token endpoint that keeps refusing: no upstream call with this secret version until
        // the breaker's backoff has passed (then this refresh is the probe: one at a time, under
        // the refresh lease).
        const health = await this.#health.readHealth(connection.cacheKey).catch(() => undefined);
        if (health && rejectsNow(health, secret.versionId, this.#now())) {
          throw breakerOpenError(health, this.#now());
        }
        try {
          const tokens = await scheme.obtain(
            this.#context(connection, secret),
            current && sameSecret(current) ? current : undefined,
          );
          // A fresh token is held to the margin like a cached one: the caller must be able to use it.
          if (tokens.expiresAt - MIN_REMAINING_MS <= this.#now()) {
            throw new UpstreamInvalidResponseError(
              `The upstream issued a token with less than ${MIN_REMAINING_MS / 1000} s to live; it is not handed out.`,
            );
          }
          if (health && health.lastOutcome !== "ok") await this.#recordHealth(connection, undefined, secret);
          return tokens;
        } catch (error) {
          countMetric(METRIC.refreshFailure);
          const recorded = await this.#recordHealth(connection, error, secret);
          // The caller whose request opened the breaker is told when to come back, like the rest.
          if (recorded?.rejectedUntil !== undefined && isPersistentRefusal(error)) {
            throw breakerOpenError(recorded, this.#now(), { cause: error });
          }
          throw error;
        }
      },
      secretVersion: () => secret.versionId,
    });
    // Tokens read from the shared table were never parsed in this process: register them too.
    registerSensitive(tokens.accessToken);
    registerSensitive(tokens.refreshToken);
    countMetric(
      source === "memory"
        ? METRIC.cacheHitMemory
        : source === "shared"
          ? METRIC.cacheHitShared
          : METRIC.upstreamRefresh,
    );
    return {
      connection: config.name,
      headers: scheme.headers(tokens, secret),
      expiresAt: tokens.expiresAt,
      source,
      tokenId: tokenIdOf(tokens.accessToken),
    };
  }

  /** The shared (or in-process) last outcome; a failure to record it never fails the request. */
  async #recordHealth(
    connection: Connection,
    error: unknown,
    secret: Secret,
  ): Promise<ConnectionHealth | undefined> {
    const { name } = connection.config;
    try {
      if (error === undefined) {
        await this.#health.recordSuccess(connection.cacheKey, this.#now());
        return undefined;
      }
      const problem = toBrokerError(error);
      const credentials = error instanceof UpstreamCredentialsRejectedError;
      const refused = isPersistentRefusal(error);
      countConnectionMetric(name, credentials ? METRIC.credentialsRejected : METRIC.connectionFailure);
      const health = await this.#health.recordFailure(connection.cacheKey, {
        at: this.#now(),
        problemType: problem.type,
        ...(error instanceof UpstreamError && error.upstreamStatus !== undefined
          ? { upstreamStatus: error.upstreamStatus }
          : {}),
        ...(error instanceof UpstreamError && error.oauthError !== undefined
          ? { upstreamError: error.oauthError }
          : {}),
        ...(refused ? { rejectedSecretVersion: secret.versionId } : {}),
      });
      if (refused) {
        logger.warn(
          credentials
            ? "upstream rejected the connection's credentials; backing off"
            : "upstream keeps refusing the connection's token request; backing off",
          {
            connection: name,
            problemType: problem.type,
            ...(health.lastUpstreamStatus !== undefined ? { upstreamStatus: health.lastUpstreamStatus } : {}),
            consecutiveFailures: health.consecutiveFailures,
            retryAt: new Date(health.rejectedUntil ?? 0).toISOString(),
          },
        );
      }
      return health;
    } catch (healthError) {
      logger.warn("could not record connection health", {
        connection: name,
        errorName: (healthError as Error)?.name,
      });
      return undefined;
    }
  }

  #context(connection: Connection, secret: Secret): SchemeContext {
    return { secret, http: connection.http, now: this.#now, upstreamPolicy: this.#upstreamPolicy };
  }
}

import type { AccessRule } from "./auth/access-policy.ts";
import { MemoryTokenCache } from "./cache/memory-token-cache.ts";
import type { CachedTokens, TokenCache } from "./cache/token-cache.ts";
import type { BrokerConfig, ConnectionConfig } from "./config/broker-config.ts";
import type { UpstreamPolicy } from "./config/upstream-url.ts";
import {
  type Connection,
  ConnectionRegistry,
  type ConnectionSummary,
} from "./connections/connection-registry.ts";
import { ConnectionNotFoundError, UpstreamCredentialsRejectedError } from "./errors.ts";
import { ConnectionBreaker } from "./health/breaker.ts";
import { type HealthStore, MemoryHealthStore } from "./health/connection-health.ts";
import { logger } from "./observability/logger.ts";
import { countMetric, METRIC } from "./observability/metrics.ts";
import { registerSensitive } from "./observability/redact.ts";
import { ConnectionRefresh, type RefreshRequest } from "./refresh/connection-refresh.ts";
import { tokenIdOf } from "./refresh/token-rules.ts";
import type { ExchangingScheme, SchemeContext } from "./schemes/scheme.ts";
import { RotationRecheck } from "./secrets/rotation-recheck.ts";
import type { Secret, SecretSource } from "./secrets/secret-source.ts";
import type { HttpClient } from "./upstream/http-client.ts";
import { type EventPublisher, LifecycleEvents } from "./events/lifecycle-events.ts";
import { ExpiryWatch } from "./events/expiry-watch.ts";

export { MIN_REMAINING_MS, tokenIdOf } from "./refresh/token-rules.ts";
export type { ConnectionSummary } from "./connections/connection-registry.ts";

/** A connection whose credentials were rejected re-reads its secret at most this often per process. */
const SECRET_RECHECK_MS = 5_000;

export interface BrokerOptions {
  config: BrokerConfig;
  secrets: SecretSource;
  cache?: TokenCache;
  /** Where connection health lives: the token table with the shared cache, else in process. */
  health?: HealthStore;
  now?: () => number;
  /** Overrides the per-connection HTTP client (tests). */
  http?: HttpClient;
  /** Where lifecycle events go (none: not published). */
  events?: EventPublisher;
  /** A known expiry (a certificate's notAfter) this close is a `credential-near-expiry` event. */
  expiryWarningMs?: number;
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

/**
 * Only a cache still holding a rejected token refreshes it, so many callers reporting the same
 * token cause one refresh, not many.
 */
export type GetCredentialOptions = RefreshRequest;

/**
 * The broker, a facade: finds the connection (ConnectionRegistry), reads its secret, then mints a
 * credential or serves a cached upstream token, refreshed through the cache's single flight by a
 * ConnectionRefresh, behind the ConnectionBreaker. Framework-free: handlers adapt it to HTTP.
 */
export class Broker {
  readonly #registry: ConnectionRegistry;
  readonly #secrets: SecretSource;
  readonly #cache: TokenCache;
  readonly #health: HealthStore;
  readonly #breaker: ConnectionBreaker;
  readonly #now: () => number;
  readonly #upstreamPolicy: UpstreamPolicy;
  readonly #recheck: RotationRecheck;
  readonly #events: LifecycleEvents;
  readonly #expiry: ExpiryWatch;

  constructor(options: BrokerOptions) {
    this.#secrets = options.secrets;
    this.#cache = options.cache ?? new MemoryTokenCache();
    this.#health = options.health ?? new MemoryHealthStore();
    this.#now = options.now ?? Date.now;
    this.#events = new LifecycleEvents(this.#health, options.events, this.#now);
    this.#expiry = new ExpiryWatch(this.#events, options.expiryWarningMs ?? 30 * 86_400_000, this.#now);
    this.#breaker = new ConnectionBreaker(this.#health, this.#now, this.#events);
    this.#recheck = new RotationRecheck({ intervalMs: SECRET_RECHECK_MS, now: this.#now });
    this.#upstreamPolicy = options.config.upstreamPolicy ?? "local";
    this.#registry = new ConnectionRegistry(options.config, {
      now: this.#now,
      ...(options.http ? { http: options.http } : {}),
    });
  }

  listConnections(): ConnectionSummary[] {
    return this.#registry.summaries();
  }

  /** A connection's validated config (delivery and proxy settings included), if it exists. */
  connection(name: string): ConnectionConfig | undefined {
    return this.#registry.get(name)?.config;
  }

  /** The broker's clock (epoch ms), so answers and tests agree on "now". */
  now(): number {
    return this.#now();
  }

  /** The connection's caller allow-list (undefined: nobody may use it). */
  accessPolicy(name: string): readonly AccessRule[] | undefined {
    return this.#registry.accessPolicy(name);
  }

  /** Connections whose tokens the schedule keeps warm: prewarm-enabled and exchanged. */
  prewarmConnections(): string[] {
    return this.#registry.prewarmed();
  }

  /** The token cache key of an exchanged connection (operators and tests inspect the table with it). */
  itemKeyOf(name: string): string | undefined {
    return this.#registry.get(name)?.cacheKey;
  }

  has(name: string): boolean {
    return this.#registry.get(name) !== undefined;
  }

  async getCredential(name: string, options: GetCredentialOptions = {}): Promise<IssuedCredential> {
    const connection = this.#registry.get(name);
    if (!connection) throw new ConnectionNotFoundError();
    const secret = await this.#secrets.get(connection.config.secret);
    await this.#expiry.check(connection, secret);
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
      if (!this.#recheck.claim(name)) throw error;
      const reread = await this.#secrets.get(connection.config.secret, { forceRefresh: true });
      if (reread.versionId === secret.versionId) throw error;
      logger.info("secret rotated; retrying with the new version", { connection: name });
      return this.#exchanged(connection, scheme, reread, options);
    }
  }

  async #exchanged(
    connection: Connection,
    scheme: ExchangingScheme,
    secret: Secret,
    options: GetCredentialOptions,
  ): Promise<IssuedCredential> {
    await scheme.ready?.();
    const policy = new ConnectionRefresh(
      {
        connection,
        scheme,
        secrets: this.#secrets,
        breaker: this.#breaker,
        health: this.#health,
        events: this.#events,
        now: this.#now,
        context: (s) => this.#context(connection, s),
      },
      secret,
      options,
    );
    const { tokens, source } = await this.#cache.get(connection.cacheKey, policy);
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
      connection: connection.config.name,
      headers: scheme.headers(tokens, policy.secret),
      expiresAt: tokens.expiresAt,
      source,
      tokenId: tokenIdOf(tokens.accessToken),
    };
  }

  #context(connection: Connection, secret: Secret): SchemeContext {
    return {
      secret,
      http: connection.http,
      now: this.#now,
      upstreamPolicy: this.#upstreamPolicy,
      refreshTokenSpent: () => {}, // minted credentials have none; ConnectionRefresh sets its own
    };
  }
}

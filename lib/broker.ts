import { MemoryTokenCache } from "./cache/memory-token-cache.ts";
import type { CachedTokens, TokenCache } from "./cache/token-cache.ts";
import type { BrokerConfig, ConnectionConfig } from "./config/broker-config.ts";
import { ConnectionNotFoundError, UpstreamCredentialsRejectedError } from "./errors.ts";
import { logger } from "./observability/logger.ts";
import { SCHEMES } from "./schemes/registry.ts";
import type { CredentialScheme, ExchangingScheme, SchemeContext } from "./schemes/scheme.ts";
import type { Secret, SecretSource } from "./secrets/secret-source.ts";
import { HttpClient } from "./upstream/http-client.ts";

/** A cached token is never handed out with less than this left: the caller must be able to use it. */
export const MIN_REMAINING_MS = 5_000;

export interface BrokerOptions {
  config: BrokerConfig;
  secrets: SecretSource;
  cache?: TokenCache;
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
}

export interface ConnectionSummary {
  name: string;
  scheme: string;
  preset?: string;
  description?: string;
}

interface Connection {
  config: ConnectionConfig;
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
  readonly #now: () => number;

  constructor(options: BrokerOptions) {
    this.#secrets = options.secrets;
    this.#cache = options.cache ?? new MemoryTokenCache();
    this.#now = options.now ?? Date.now;
    for (const [name, config] of options.config.connections) {
      const definition = SCHEMES.find((s) => s.name === config.scheme);
      if (!definition) throw new Error(`No scheme ${config.scheme}`);
      const scheme = (definition.create as (c: ConnectionConfig) => CredentialScheme)(config);
      const http =
        options.http ?? new HttpClient({ ...("http" in config ? config.http : {}) }, { now: this.#now });
      this.#connections.set(name, { config, scheme, http });
    }
  }

  listConnections(): ConnectionSummary[] {
    return [...this.#connections.values()].map(({ config }) => ({
      name: config.name,
      scheme: config.scheme,
      ...(config.preset ? { preset: config.preset } : {}),
      ...(config.description ? { description: config.description } : {}),
    }));
  }

  /** The broker's clock (epoch ms), so answers and tests agree on "now". */
  now(): number {
    return this.#now();
  }

  has(name: string): boolean {
    return this.#connections.has(name);
  }

  async getCredential(name: string): Promise<IssuedCredential> {
    const connection = this.#connections.get(name);
    if (!connection) throw new ConnectionNotFoundError();
    const secret = await this.#secrets.get(connection.config.secret);
    const { scheme } = connection;
    if (scheme.kind === "minted") {
      const credential = await scheme.mint(this.#context(connection, secret));
      return { connection: name, ...credential, source: "minted" };
    }
    try {
      return await this.#exchanged(connection, scheme, secret);
    } catch (error) {
      if (!(error instanceof UpstreamCredentialsRejectedError)) throw error;
      // The secret may have been rotated since we cached it: re-read once, retry only if it changed.
      const reread = await this.#secrets.get(connection.config.secret, { forceRefresh: true });
      if (reread.versionId === secret.versionId) throw error;
      logger.info("secret rotated; retrying with the new version", { connection: name });
      return this.#exchanged(connection, scheme, reread);
    }
  }

  async #exchanged(
    connection: Connection,
    scheme: ExchangingScheme,
    secret: Secret,
  ): Promise<IssuedCredential> {
    const { config } = connection;
    const skewMs = ("skewSeconds" in config ? config.skewSeconds : 0) * 1000;
    const context = this.#context(connection, secret);
    const sameSecret = (t: { secretVersion: string }) => t.secretVersion === secret.versionId;
    const { tokens, source } = await this.#cache.get(config.name, {
      isFresh: (t) => sameSecret(t) && t.expiresAt - Math.max(skewMs, MIN_REMAINING_MS) > this.#now(),
      isUsable: (t) => sameSecret(t) && t.expiresAt - MIN_REMAINING_MS > this.#now(),
      // A token from an older secret version is not refreshed from: re-exchange with the new secret.
      refresh: (current) => scheme.obtain(context, current && sameSecret(current) ? current : undefined),
    });
    return {
      connection: config.name,
      headers: scheme.headers(tokens, secret),
      expiresAt: tokens.expiresAt,
      source,
    };
  }

  #context(connection: Connection, secret: Secret): SchemeContext {
    return { secret, http: connection.http, now: this.#now };
  }
}

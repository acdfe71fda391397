import { createHash } from "node:crypto";
import type { AccessRule } from "../auth/access-policy.ts";
import type { BrokerConfig, ConnectionConfig } from "../config/broker-config.ts";
import { SCHEME_BY_NAME, type SchemeName } from "../schemes/registry.ts";
import type { CredentialScheme } from "../schemes/scheme.ts";
import { HttpClient } from "../upstream/http-client.ts";

/** A configured connection, ready to issue: its scheme instance, HTTP client and cache key. */
export interface Connection {
  config: ConnectionConfig;
  /** Connection name plus a fingerprint of its config: changing scope or URL never serves old tokens. */
  cacheKey: string;
  scheme: CredentialScheme;
  http: HttpClient;
}

/**
 * Every scheme a config can name has a run-time scheme, and every run-time scheme a config schema:
 * a scheme or schema missing from its registry is a compile error here, never a cold-start one.
 */
type ConfiguredScheme = ConnectionConfig["scheme"];
export const _schemesPaired: [ConfiguredScheme] extends [SchemeName]
  ? [SchemeName] extends [ConfiguredScheme]
    ? true
    : never
  : never = true;

/** What `GET /v1/connections` shows of a connection. */
export interface ConnectionSummary {
  name: string;
  scheme: string;
  preset?: string;
  description?: string;
  delivery: ConnectionConfig["delivery"];
  exposure: ConnectionConfig["exposure"];
}

/** The cache key: name plus a fingerprint of what decides the issued token (not delivery or proxy). */
function cacheKeyFor(config: ConnectionConfig): string {
  const { delivery: _d, proxy: _p, ...issuing } = config;
  const fingerprint = createHash("sha256").update(JSON.stringify(issuing)).digest("base64url").slice(0, 16);
  return `${config.name}#${fingerprint}`;
}

/** The connections of a config, built once per process: looked up by name on every request. */
export class ConnectionRegistry {
  readonly #connections = new Map<string, Connection>();

  constructor(config: BrokerConfig, options: { now: () => number; http?: HttpClient }) {
    for (const [name, connection] of config.connections) {
      const definition = SCHEME_BY_NAME[connection.scheme];
      const scheme = (definition.create as (c: ConnectionConfig) => CredentialScheme)(connection);
      const http =
        options.http ??
        new HttpClient({ ...("http" in connection ? connection.http : {}) }, { now: options.now });
      this.#connections.set(name, { config: connection, scheme, http, cacheKey: cacheKeyFor(connection) });
    }
  }

  get(name: string): Connection | undefined {
    return this.#connections.get(name);
  }

  summaries(): ConnectionSummary[] {
    return [...this.#connections.values()].map(({ config }) => ({
      name: config.name,
      scheme: config.scheme,
      ...(config.preset ? { preset: config.preset } : {}),
      ...(config.description ? { description: config.description } : {}),
      delivery: config.delivery,
      exposure: config.exposure,
    }));
  }

  /** The connection's caller allow-list (undefined: nobody may use it). */
  accessPolicy(name: string): readonly AccessRule[] | undefined {
    return this.#connections.get(name)?.config.access;
  }

  /** Connections whose tokens the schedule keeps warm: prewarm-enabled and exchanged. */
  prewarmed(): string[] {
    return [...this.#connections.values()]
      .filter(({ config }) => "prewarm" in config && config.prewarm)
      .map(({ config }) => config.name);
  }
}

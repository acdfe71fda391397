import { X509Certificate } from "node:crypto";
import type { Connection } from "../connections/connection-registry.ts";
import type { Secret } from "../secrets/secret-source.ts";
import { logger } from "../observability/logger.ts";
import type { LifecycleEvents } from "./lifecycle-events.ts";

/** The secret field holding a certificate the connection presents (client assertions' x5t), if any. */
function certificateFieldOf(config: Connection["config"]): string | undefined {
  const jwt = "jwt" in config ? (config.jwt as { certificateField?: string } | undefined) : undefined;
  const auth = "clientAuth" in config ? (config.clientAuth as { certificateField?: string }) : undefined;
  return jwt?.certificateField ?? auth?.certificateField;
}

interface KnownExpiry {
  what: "certificate" | "secret";
  field: string;
  at: number;
}

/** The expiries a connection's secret declares: its certificate's notAfter, its `expiresAtField`. */
function expiriesOf(config: Connection["config"], secret: Secret): KnownExpiry[] {
  const found: KnownExpiry[] = [];
  const certificate = certificateFieldOf(config);
  const pem = certificate ? secret.fields[certificate] : undefined;
  if (certificate && pem) {
    try {
      found.push({
        what: "certificate",
        field: certificate,
        at: new X509Certificate(pem).validToDate.getTime(),
      });
    } catch {
      // Not a certificate: the scheme answers that with its own problem.
    }
  }
  const field = config.expiresAtField;
  const declared = field ? Date.parse(secret.fields[field] ?? "") : Number.NaN;
  if (field && Number.isFinite(declared)) found.push({ what: "secret", field, at: declared });
  else if (field) {
    logger.warn("the secret's expiry field is not an ISO 8601 date; no expiry warning", {
      connection: config.name,
      field,
    });
  }
  return found;
}

/**
 * Known expiries (a certificate's notAfter, a date the secret declares), read once per secret
 * version; within the window, one `credential-near-expiry` event per expiry across every instance
 * (claimed in the shared item).
 */
export class ExpiryWatch {
  readonly #events: LifecycleEvents;
  readonly #windowMs: number;
  readonly #now: () => number;
  /** Per connection: the secret version last looked at, and its expiries not yet announced. */
  readonly #seen = new Map<string, { version: string; pending: KnownExpiry[] }>();

  constructor(events: LifecycleEvents, windowMs: number, now: () => number) {
    this.#events = events;
    this.#windowMs = windowMs;
    this.#now = now;
  }

  async check(connection: Connection, secret: Secret): Promise<void> {
    const { config } = connection;
    if (!this.#events.enabled || (!config.expiresAtField && !certificateFieldOf(config))) return;
    let seen = this.#seen.get(config.name);
    if (seen?.version !== secret.versionId) {
      seen = { version: secret.versionId, pending: expiriesOf(config, secret) };
      this.#seen.set(config.name, seen);
    }
    const now = this.#now();
    const due = seen.pending.filter((e) => e.at - now <= this.#windowMs);
    if (due.length === 0) return;
    seen.pending = seen.pending.filter((e) => !due.includes(e));
    for (const expiry of due) {
      const expiresAt = new Date(expiry.at).toISOString();
      await this.#events.onTransition(
        config.name,
        connection.cacheKey,
        "expiry",
        `${expiry.what}:${expiry.field}:${expiresAt}`,
        () => ({
          type: "credential-near-expiry",
          detail: {
            what: expiry.what,
            field: expiry.field,
            expiresAt,
            daysLeft: Math.max(0, Math.floor((expiry.at - now) / 86_400_000)),
          },
        }),
      );
    }
  }
}

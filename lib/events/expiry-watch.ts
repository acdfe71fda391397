import { X509Certificate } from "node:crypto";
import type { Connection } from "../connections/connection-registry.ts";
import type { Secret } from "../secrets/secret-source.ts";
import type { LifecycleEvents } from "./lifecycle-events.ts";

/** The secret field holding a certificate the connection presents (client assertions' x5t), if any. */
function certificateFieldOf(config: Connection["config"]): string | undefined {
  const jwt = "jwt" in config ? (config.jwt as { certificateField?: string } | undefined) : undefined;
  const auth = "clientAuth" in config ? (config.clientAuth as { certificateField?: string }) : undefined;
  return jwt?.certificateField ?? auth?.certificateField;
}

/**
 * Known expiries: a certificate's notAfter, read once per secret version; within the window, one
 * `credential-near-expiry` event per certificate across every instance (claimed in the shared item).
 */
export class ExpiryWatch {
  readonly #events: LifecycleEvents;
  readonly #windowMs: number;
  readonly #now: () => number;
  /** Per connection: the secret version last looked at, and whether there is nothing (more) to do. */
  readonly #seen = new Map<string, { version: string; notAfter?: number; announced: boolean }>();

  constructor(events: LifecycleEvents, windowMs: number, now: () => number) {
    this.#events = events;
    this.#windowMs = windowMs;
    this.#now = now;
  }

  async check(connection: Connection, secret: Secret): Promise<void> {
    if (!this.#events.enabled) return;
    const field = certificateFieldOf(connection.config);
    if (!field) return;
    const name = connection.config.name;
    let seen = this.#seen.get(name);
    if (seen?.version !== secret.versionId) {
      seen = { version: secret.versionId, announced: false };
      const pem = secret.fields[field];
      try {
        if (typeof pem === "string") seen.notAfter = new X509Certificate(pem).validToDate.getTime();
      } catch {
        // Not a certificate: the scheme answers that with its own problem.
      }
      this.#seen.set(name, seen);
    }
    const { notAfter } = seen;
    if (seen.announced || notAfter === undefined || notAfter - this.#now() > this.#windowMs) return;
    seen.announced = true;
    const expiresAt = new Date(notAfter).toISOString();
    await this.#events.onTransition(
      name,
      connection.cacheKey,
      "expiry",
      `certificate:${field}:${expiresAt}`,
      () => ({
        type: "credential-near-expiry",
        detail: {
          what: "certificate",
          field,
          expiresAt,
          daysLeft: Math.max(0, Math.floor((notAfter - this.#now()) / 86_400_000)),
        },
      }),
    );
  }
}

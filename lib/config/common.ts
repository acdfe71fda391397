import { z } from "zod";
import { accessPolicy } from "../auth/access-policy.ts";
import { templateString } from "./template.ts";

/** HTTP header names (RFC 9110 token). */
export const headerName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "must be an HTTP header name (RFC 9110 token)");

/** Header templates: name -> value template using the given placeholders. */
export function headerTemplates(allowed: readonly string[]) {
  return z
    .record(headerName, templateString(allowed))
    .refine((h) => Object.keys(h).length > 0, "at least one header");
}

const positiveSeconds = z.number().int().positive();

/**
 * An upstream URL. https only, except plain http to loopback (local runs and tests): anything else
 * would send credentials in clear text.
 */
export const upstreamUrl = z.url().superRefine((value, ctx) => {
  const url = new URL(value);
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  if (url.protocol === "https:" || (url.protocol === "http:" && loopback)) return;
  ctx.addIssue({
    code: "custom",
    message: "must be https (plain http is allowed only for 127.0.0.1/localhost/[::1])",
  });
});

export const httpSettings = z
  .strictObject({
    timeoutMs: z.number().int().min(100).max(30_000).optional(),
    maxAttempts: z.number().int().min(1).max(5).optional(),
    maxDelayMs: z.number().int().min(0).max(30_000).optional(),
  })
  .optional();

/** Fields every connection has, whatever its scheme or preset. */
export const connectionBase = {
  description: z.string().max(500).optional(),
  /** Secrets Manager secret name or ARN (local runs: the key in the local secrets file). */
  secret: z.string().min(1).max(2048),
  /** Which callers may obtain this connection's credentials; absent means nobody (deny by default). */
  access: accessPolicy,
};

/** Fields of schemes whose tokens come from an upstream and are cached. */
export const exchangedBase = {
  ...connectionBase,
  /** Kept warm by the scheduled prewarm function (minted credentials need no warming). */
  prewarm: z.boolean().default(false),
  /** Refresh this long before expiry; a token inside the skew is served only if the refresh fails. */
  skewSeconds: z.number().int().min(0).max(3600).default(60),
  /** Lifetime assumed when the upstream sends none; absent means such a response is rejected. */
  defaultExpiresInSeconds: positiveSeconds.optional(),
  /** Upper bound on any upstream-declared lifetime (guards against absurd values). */
  maxLifetimeSeconds: positiveSeconds.default(86_400),
  http: httpSettings,
};

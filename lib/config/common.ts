import * as z from "zod/mini";
import { accessPolicy } from "../auth/access-policy.schema.ts";
import { intRange, text } from "./schema-helpers.ts";
import { templateString } from "./template-schema.ts";
import { upstreamUrlProblem } from "./upstream-url.ts";

/** HTTP header names (RFC 9110 token). */
export const headerName = z
  .string()
  .check(z.regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "must be an HTTP header name (RFC 9110 token)"));

/** Header templates: name -> value template using the given placeholders. */
export function headerTemplates(allowed: readonly string[]) {
  return z
    .record(headerName, templateString(allowed))
    .check(z.refine((h) => Object.keys(h).length > 0, "at least one header"));
}

const positiveSeconds = z.int().check(z.positive());

/**
 * An upstream URL. https only, except plain http to loopback (local runs and tests): anything else
 * would send credentials in clear text.
 */
export const upstreamUrl = z.url().check(
  z.superRefine((value, ctx) => {
    const problem = upstreamUrlProblem(value);
    if (problem) ctx.issues.push({ code: "custom", input: value, message: problem });
  }),
);

export const httpSettings = z.optional(
  z.strictObject({
    timeoutMs: z.optional(intRange(100, 30_000)),
    maxAttempts: z.optional(intRange(1, 5)),
    maxDelayMs: z.optional(intRange(0, 30_000)),
  }),
);

/** Fields every connection has, whatever its scheme or preset. */
export const connectionBase = {
  description: z.optional(text(0, 500)),
  /** Secrets Manager secret name or ARN (local runs: the key in the local secrets file). */
  secret: text(1, 2048),
  /** Which callers may obtain this connection's credentials; absent means nobody (deny by default). */
  access: accessPolicy,
  /**
   * The secret field holding when the vendor expires this credential (an ISO 8601 date: an Entra
   * client secret's end date, an API key's expiry): within the warning window, a
   * `credential-near-expiry` event.
   */
  expiresAtField: z.optional(text(1, 256)),
};

/** Fields of schemes whose tokens come from an upstream and are cached. */
export const exchangedBase = {
  ...connectionBase,
  /** Kept warm by the scheduled prewarm function (minted credentials need no warming). */
  prewarm: z._default(z.boolean(), false),
  /** Refresh this long before expiry; a token inside the skew is served only if the refresh fails. */
  skewSeconds: z._default(intRange(0, 3600), 60),
  /** Lifetime assumed when the upstream sends none; absent means such a response is rejected. */
  defaultExpiresInSeconds: z.optional(positiveSeconds),
  /** Upper bound on any upstream-declared lifetime (guards against absurd values). */
  maxLifetimeSeconds: z._default(positiveSeconds, 86_400),
  http: httpSettings,
};

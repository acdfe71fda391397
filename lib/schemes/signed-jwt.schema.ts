import * as z from "zod/mini";
import { connectionBase, headerTemplates } from "../config/common.ts";
import { intRange, text } from "../config/schema-helpers.ts";
import { templateJson, templateString } from "../config/template-schema.ts";
import type { SchemeSchema } from "./scheme.ts";
import { signingAlgorithm, signingKeySpec } from "./signing-key.schema.ts";

const RESERVED_CLAIMS = ["iat", "exp", "jti"];

export const jwtTemplate = z.strictObject({
  algorithm: z._default(signingAlgorithm, "HS256"),
  key: signingKeySpec,
  /** Payload template; strings may use {{secret.<field>}}. iat/exp/jti are set by the options below. */
  claims: templateJson(["secret"]).check(
    z.refine((c) => c !== null && typeof c === "object" && !Array.isArray(c), "must be an object"),
    z.refine(
      (c) => c === null || typeof c !== "object" || !RESERVED_CLAIMS.some((r) => Object.hasOwn(c, r)),
      "iat, exp and jti are set by issuedAt, expiresInSeconds and jwtId, not as literal claims",
    ),
  ),
  issuedAt: z._default(z.boolean(), true),
  /** `iat` this many seconds in the past: vendors that tolerate no clock drift (GitHub asks for 60). */
  backdateSeconds: z._default(intRange(0, 300), 0),
  /** `exp` = now + this many seconds; absent means no exp claim (the token is then replayable). */
  expiresInSeconds: z.optional(intRange(1, 86_400)),
  jwtId: z._default(z.boolean(), false),
  /** Extra protected-header members (kid, typ...; templates over the secret); alg is always pinned. */
  header: z.optional(z.record(z.string(), templateString(["secret"]))),
  /**
   * An X.509 certificate (PEM) in this secret field: its thumbprints go into the header as
   * `x5t#S256` (SHA-256) and `x5t` (SHA-1), as certificate-based client authentication wants.
   */
  certificateField: z.optional(text(1)),
});
export type JwtTemplate = z.output<typeof jwtTemplate>;

const schema = z
  .strictObject({
    scheme: z.literal("signed-jwt"),
    ...connectionBase,
    jwt: jwtTemplate,
    /** Header layout; {{jwt}} is the minted token, e.g. {"Authorization": "Bearer {{jwt}}"}. */
    headers: headerTemplates(["secret", "jwt"]),
    /** For a JWT without exp: how long the caller may reuse it (the broker's advice, not a claim). */
    lifetimeSeconds: z._default(intRange(1, 3600), 60),
    /**
     * Opt-in, for vendors that allow a token to be reused until it expires (App Store Connect): the
     * minted JWT is kept in process until `exp` minus `reuseSkewSeconds`. Never for per-request
     * signatures whose short `exp` is replay protection (API key + JWT signing).
     */
    reuse: z._default(z.boolean(), false),
    reuseSkewSeconds: z._default(intRange(0, 3600), 60),
  })
  .check(
    z.refine((c) => !c.reuse || c.jwt.expiresInSeconds !== undefined, {
      message: "reuse needs jwt.expiresInSeconds (a reusable token must expire)",
      path: ["reuse"],
    }),
    z.refine((c) => !c.reuse || (c.jwt.expiresInSeconds ?? 0) > c.reuseSkewSeconds, {
      message: "reuseSkewSeconds must be shorter than jwt.expiresInSeconds",
      path: ["reuseSkewSeconds"],
    }),
  );

export type SignedJwtConfig = z.output<typeof schema>;

export const signedJwtSchema: SchemeSchema<typeof schema> = { name: "signed-jwt", schema };

import * as z from "zod/mini";
import { exchangedBase, headerTemplates, upstreamUrl } from "../config/common.ts";
import { text } from "../config/schema-helpers.ts";
import { templateString } from "../config/template-schema.ts";
import { JWT_BEARER } from "./oauth2-client-credentials.ts";
import type { SchemeSchema } from "./scheme.ts";
import { jwtTemplate } from "./signed-jwt.schema.ts";
import { ASYMMETRIC_ALGORITHMS, HMAC_ALGORITHMS } from "./signing-key.ts";

/** The four RFC 6749 / RFC 7523 client authentication methods and their options. */
export const clientAuth = z.discriminatedUnion("method", [
  /** No client authentication: the grant itself proves the client (RFC 7523 JWT-bearer assertions). */
  z.strictObject({ method: z.literal("none") }),
  z.strictObject({
    method: z.literal("client_secret_basic"),
    /**
     * RFC 6749 2.3.1 form-urlencodes id and secret before base64. "raw" skips that for vendors that
     * do not decode; it is never a silent fallback.
     */
    encoding: z._default(z.enum(["form-urlencoded", "raw"]), "form-urlencoded"),
  }),
  z.strictObject({ method: z.literal("client_secret_post") }),
  z.strictObject({
    method: z.literal("client_secret_jwt"),
    algorithm: z._default(z.enum(HMAC_ALGORITHMS), "HS256"),
  }),
  z.strictObject({
    method: z.literal("private_key_jwt"),
    algorithm: z._default(z.enum(ASYMMETRIC_ALGORITHMS), "RS256"),
    /** Secret field holding the PKCS#8 PEM or private JWK. */
    privateKeyField: z._default(text(1), "privateKey"),
    kid: z.optional(z.string()),
    /** Certificate-based auth (Microsoft Entra): the PEM certificate whose thumbprints go in the header. */
    certificateField: z.optional(text(1)),
  }),
]);

const oneOrMore = <T extends z.core.$ZodType>(item: T) =>
  z.union([item, z.array(item).check(z.minLength(1))]);

const schema = z
  .strictObject({
    scheme: z.literal("oauth2-client-credentials"),
    ...exchangedBase,
    /** Token endpoint; or give `issuer` and it is discovered (RFC 8414, then OpenID discovery). */
    tokenUrl: z.optional(upstreamUrl),
    issuer: z.optional(upstreamUrl),
    clientId: z._default(templateString(["secret"]), "{{secret.clientId}}"),
    /** Secret field with the client secret (client_secret_basic/post/jwt). */
    clientSecretField: z._default(text(1), "clientSecret"),
    clientAuth: z._default(clientAuth, { method: "client_secret_basic", encoding: "form-urlencoded" }),
    /**
     * The grant: client_credentials (RFC 6749 4.4), the RFC 7523 JWT-bearer authorization grant
     * (`assertion` minted from a template), or a vendor's own (Zoom's account_credentials).
     */
    grantType: z._default(
      z.string().check(z.regex(/^[A-Za-z0-9_.:-]+$/, "a grant type (RFC 6749 A.10)")),
      "client_credentials",
    ),
    /** The JWT-bearer grant's assertion: claims, key and lifetime (RFC 7523 3; exp required). */
    assertion: z.optional(jwtTemplate),
    /** Parameters sent in the token URL's query string instead of the body (some vendors want that). */
    queryParams: z.optional(z.record(text(1), templateString(["secret"]))),
    /** JWT client assertions: `aud` is the token endpoint unless the vendor wants its issuer. */
    assertionAudience: z._default(z.enum(["token-endpoint", "issuer"]), "token-endpoint"),
    scope: z.optional(oneOrMore(text(1))),
    audience: z.optional(text(1)),
    resource: z.optional(oneOrMore(z.url())),
    extraParams: z.optional(z.record(text(1), z.string())),
    headers: z._default(headerTemplates(["secret", "token"]), { Authorization: "Bearer {{token}}" }),
  })
  .check(
    z.refine((c) => c.tokenUrl !== undefined || c.issuer !== undefined, {
      message: "set tokenUrl, or issuer for discovery",
      path: ["tokenUrl"],
    }),
    z.refine((c) => c.assertionAudience !== "issuer" || c.issuer !== undefined, {
      message: 'assertionAudience "issuer" needs issuer',
      path: ["issuer"],
    }),
    z.refine((c) => (c.grantType === JWT_BEARER) === (c.assertion !== undefined), {
      message: `the ${JWT_BEARER} grant needs an assertion, and only it takes one`,
      path: ["assertion"],
    }),
    z.refine((c) => c.assertion === undefined || c.assertion.expiresInSeconds !== undefined, {
      message: "an assertion needs expiresInSeconds (RFC 7523 3: exp is required; keep it short)",
      path: ["assertion", "expiresInSeconds"],
    }),
    z.refine((c) => c.clientAuth.method !== "none" || c.grantType !== "client_credentials", {
      message: "client_credentials needs client authentication",
      path: ["clientAuth"],
    }),
    z.refine(
      (c) => c.extraParams === undefined || !Object.keys(c.extraParams).some((k) => RESERVED_PARAMS.has(k)),
      {
        message:
          "extraParams may not set grant_type, scope, audience, resource or client authentication parameters",
        path: ["extraParams"],
      },
    ),
  );

const RESERVED_PARAMS = new Set([
  "assertion",
  "grant_type",
  "scope",
  "audience",
  "resource",
  "client_id",
  "client_secret",
  "client_assertion",
  "client_assertion_type",
]);

export type OAuth2ClientCredentialsConfig = z.output<typeof schema>;

export const oauth2ClientCredentialsSchema: SchemeSchema<typeof schema> = {
  name: "oauth2-client-credentials",
  schema,
};

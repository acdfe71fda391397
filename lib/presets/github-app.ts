import * as z from "zod/mini";
import { connectionBase, upstreamUrl } from "../config/common.ts";
import { intRange, text } from "../config/schema-helpers.ts";
import { commonFields, type PresetDefinition } from "./preset.ts";

const schema = z.strictObject({
  preset: z.literal("github-app"),
  ...connectionBase,
  /** The GitHub App's id (the JWT's `iss`). */
  appId: text(1, 32),
  installationId: z.string().check(z.regex(/^\d{1,20}$/, "the installation's numeric id")),
  /** GitHub Enterprise Server: https://<host>/api/v3. */
  apiUrl: z._default(upstreamUrl, "https://api.github.com"),
  /** Narrow the installation token (GitHub's request body fields). */
  repositories: z.optional(z.array(text(1, 100)).check(z.minLength(1))),
  permissions: z.optional(z.record(text(1, 64), z.enum(["read", "write", "admin"]))),
  skewSeconds: z.optional(intRange(0, 3600)),
  prewarm: z.optional(z.boolean()),
});

/**
 * GitHub App installation tokens: an RS256 JWT {iat: now-60, exp: iat+9 min (GitHub allows at most
 * 10), iss: app id} signed with the app's private key authenticates `POST
 * {apiUrl}/app/installations/{id}/access_tokens`, which answers 201 {token, expires_at} (an hour).
 * Secret field: privateKey (the PEM GitHub issues, PKCS#1 or PKCS#8).
 */
export const githubAppPreset: PresetDefinition<typeof schema> = {
  name: "github-app",
  reference: "GitHub Apps: authenticating as an installation",
  schema,
  expand: ({ appId, installationId, apiUrl, repositories, permissions, ...options }) => ({
    ...commonFields(options),
    scheme: "token-exchange",
    jwt: {
      algorithm: "RS256",
      key: { field: "privateKey" },
      claims: { iss: appId },
      backdateSeconds: 60,
      expiresInSeconds: 540,
    },
    exchange: {
      url: `${apiUrl.replace(/\/+$/, "")}/app/installations/${installationId}/access_tokens`,
      headers: {
        Authorization: "Bearer {{jwt}}",
        Accept: "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
      },
      body: { ...(repositories ? { repositories } : {}), ...(permissions ? { permissions } : {}) },
    },
    response: { accessToken: "token", expiresIn: "expires_in", expiresAt: "expires_at" },
    headers: { Authorization: "Bearer {{token}}" },
  }),
};

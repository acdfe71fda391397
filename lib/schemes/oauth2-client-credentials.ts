import { randomUUID } from "node:crypto";
import { jose } from "./jose.ts";
import { upstreamUrlProblem } from "../config/upstream-url.ts";
import {
  SecretInvalidError,
  UpstreamCredentialsRejectedError,
  UpstreamError,
  UpstreamInvalidResponseError,
} from "../errors.ts";
import { registerSensitive } from "../observability/redact.ts";
import { secretField } from "../secrets/parse-secret.ts";
import type { Secret } from "../secrets/secret-source.ts";
import { renderHeaders, renderSecretString } from "./render-headers.ts";
import type { SchemeContext, SchemeDefinition, TokenSet } from "./scheme.ts";
import { certificateThumbprints, mintJwt } from "./signed-jwt.ts";
import type { OAuth2ClientCredentialsConfig } from "./oauth2-client-credentials.schema.ts";
import { signingKey } from "./signing-key.ts";
import {
  hostOf,
  oauthErrorCode,
  parseJsonObject,
  readLifetimeSeconds,
  requireToken,
} from "./token-response.ts";

const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
export const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";

type Config = OAuth2ClientCredentialsConfig;

/** RFC 6749 appendix A: client ids and secrets are VSCHAR (printable ASCII, space included). */
const VSCHAR = /^[\x20-\x7e]+$/;

/** RFC 6749 2.3.1: application/x-www-form-urlencoded, so space becomes "+". */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

/**
 * A token from an OAuth 2.0 token endpoint: the client_credentials grant (RFC 6749 4.4), the
 * JWT-bearer authorization grant (RFC 7523 2.1) or a vendor's own grant type, with the four client
 * authentication methods (or none, when the assertion is the proof).
 */
export const oauth2ClientCredentialsScheme = {
  name: "oauth2-client-credentials" as const,
  create(config) {
    let endpoint: Promise<string> | undefined;
    const tokenEndpoint = (context: SchemeContext) => {
      if (config.tokenUrl) return Promise.resolve(config.tokenUrl);
      endpoint ??= discoverTokenEndpoint(context, config.issuer as string);
      endpoint.catch(() => {
        endpoint = undefined;
      });
      return endpoint;
    };
    return {
      kind: "exchanged",
      async obtain(context) {
        return requestToken(config, context, await tokenEndpoint(context));
      },
      headers(tokens, secret) {
        return renderHeaders(config.headers, secret, { token: tokens.accessToken });
      },
    };
  },
} satisfies SchemeDefinition<Config>;

async function requestToken(
  config: Config,
  { secret, http, now }: SchemeContext,
  tokenUrl: string,
): Promise<TokenSet> {
  const host = hostOf(tokenUrl);
  // Only client authentication needs the client id: an assertion grant may have none in the secret.
  const clientIdOf = () => clientCredential(renderSecretString(config.clientId, secret), "client id", secret);
  const form = new URLSearchParams({ grant_type: config.grantType });
  if (config.assertion) {
    // RFC 7523 2.1: the assertion is the grant; RFC 8725: algorithm pinned, short exp, fresh jti.
    form.set("assertion", await mintJwt(config.assertion, secret, now()));
  }
  if (config.scope) form.set("scope", Array.isArray(config.scope) ? config.scope.join(" ") : config.scope);
  if (config.audience) form.set("audience", config.audience);
  for (const resource of [config.resource ?? []].flat()) form.append("resource", resource);
  for (const [name, value] of Object.entries(config.extraParams ?? {})) form.set(name, value);

  const headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded",
    accept: "application/json",
  };
  const sentAt = now();
  const auth = config.clientAuth;
  const clientSecret = () =>
    clientCredential(secretField(secret, config.clientSecretField), "client secret", secret);
  switch (auth.method) {
    case "none":
      break;
    case "client_secret_basic": {
      const clientId = clientIdOf();
      if (auth.encoding === "raw" && clientId.includes(":")) {
        throw new SecretInvalidError(
          `Secret "${secret.id}": a client id with ":" cannot be sent with raw Basic encoding.`,
        );
      }
      const encode = auth.encoding === "raw" ? (v: string) => v : formEncode;
      headers.authorization = `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret())}`).toString("base64")}`;
      break;
    }
    case "client_secret_post":
      form.set("client_id", clientIdOf());
      form.set("client_secret", clientSecret());
      break;
    case "client_secret_jwt":
    case "private_key_jwt": {
      if (auth.method === "client_secret_jwt") clientSecret();
      const clientId = clientIdOf();
      const field = auth.method === "client_secret_jwt" ? config.clientSecretField : auth.privateKeyField;
      const key = await signingKey(secret, { field, encoding: "utf8" }, auth.algorithm);
      const nowSeconds = Math.floor(sentAt / 1000);
      // RFC 7523 3: iss = sub = client id, aud = token endpoint (or issuer), short exp, fresh jti.
      const { SignJWT } = await jose();
      const assertion = await new SignJWT({})
        .setProtectedHeader({
          alg: auth.algorithm,
          typ: "JWT",
          ...("kid" in auth && auth.kid ? { kid: auth.kid } : {}),
          ...("certificateField" in auth && auth.certificateField
            ? certificateThumbprints(secret, auth.certificateField)
            : {}),
        })
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(config.assertionAudience === "issuer" ? (config.issuer as string) : tokenUrl)
        .setIssuedAt(nowSeconds)
        .setNotBefore(nowSeconds)
        .setExpirationTime(nowSeconds + 60)
        .setJti(randomUUID())
        .sign(key);
      // RFC 7521 4.2 allows client_id beside the assertion; Microsoft Entra requires it (AADSTS900144).
      form.set("client_id", clientId);
      form.set("client_assertion_type", CLIENT_ASSERTION_TYPE);
      form.set("client_assertion", assertion);
      break;
    }
  }

  registerSensitive(headers.authorization);
  registerSensitive(form.get("client_assertion") ?? undefined);
  registerSensitive(form.get("assertion") ?? undefined);
  let url = tokenUrl;
  if (config.queryParams) {
    const target = new URL(tokenUrl);
    for (const [name, value] of Object.entries(config.queryParams)) {
      target.searchParams.set(name, renderSecretString(value, secret));
    }
    url = target.toString();
  }
  const response = await http.send({ url, method: "POST", headers, body: form.toString() });
  // Lifetimes count from the attempt that answered (after any retries), never from the first.
  const answeredAttemptAt = sentAt + response.sentAfterMs;
  if (response.status !== 200) {
    const code = oauthErrorCode(response.text);
    const details = { upstreamStatus: response.status, ...(code ? { oauthError: code } : {}) };
    // An assertion grant's invalid_grant is the assertion (key, issuer, subject) refused: the
    // credentials themselves, like invalid_client for the other grants.
    const assertionRefused = config.assertion !== undefined && code === "invalid_grant";
    if (response.status === 401 || code === "invalid_client" || assertionRefused) {
      throw new UpstreamCredentialsRejectedError(
        `Token endpoint ${host} rejected the client credentials.`,
        details,
      );
    }
    throw new UpstreamError(
      `Token endpoint ${host} refused the token request (HTTP ${response.status}${code ? `, ${code}` : ""}).`,
      details,
    );
  }
  const body = parseJsonObject(response.text, host);
  const accessToken = requireToken(body.access_token, "access_token", host);
  const tokenType = body.token_type;
  // RFC 6749 5.1 makes token_type required; a missing one is tolerated as Bearer, another type is not usable.
  if (tokenType !== undefined && (typeof tokenType !== "string" || tokenType.toLowerCase() !== "bearer")) {
    throw new UpstreamInvalidResponseError(`Token endpoint ${host} issued a token_type other than Bearer.`);
  }
  const lifetime = readLifetimeSeconds(body.expires_in, "expires_in", config, host);
  return {
    accessToken,
    expiresAt: answeredAttemptAt + lifetime * 1000,
    obtainedAt: answeredAttemptAt,
    secretVersion: secret.versionId,
  };
}

function clientCredential(value: string, what: string, secret: Secret): string {
  if (!VSCHAR.test(value)) {
    throw new SecretInvalidError(
      `Secret "${secret.id}": the ${what} must be printable ASCII (RFC 6749 appendix A VSCHAR).`,
    );
  }
  return value;
}

/** RFC 8414 metadata (then OpenID Connect discovery); the issuer must match exactly (RFC 8414 3.3). */
async function discoverTokenEndpoint(
  { http, upstreamPolicy }: SchemeContext,
  issuer: string,
): Promise<string> {
  const url = new URL(issuer);
  const path = url.pathname === "/" ? "" : url.pathname.replace(/\/$/, "");
  const candidates = [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}${path}/.well-known/openid-configuration`,
  ];
  const host = url.host;
  for (const candidate of candidates) {
    const response = await http.send({
      url: candidate,
      method: "GET",
      headers: { accept: "application/json" },
    });
    if (response.status === 404) continue;
    if (response.status !== 200) {
      throw new UpstreamError(`Discovery at ${host} failed with HTTP ${response.status}.`, {
        upstreamStatus: response.status,
      });
    }
    const metadata = parseJsonObject(response.text, host);
    if (metadata.issuer !== issuer) {
      throw new UpstreamInvalidResponseError(`Discovery at ${host} returned metadata for another issuer.`);
    }
    const endpoint = metadata.token_endpoint;
    // Held to the rule configured URLs met at synth: a deployed stage never calls loopback or http.
    if (typeof endpoint !== "string" || upstreamUrlProblem(endpoint, upstreamPolicy) !== undefined) {
      throw new UpstreamInvalidResponseError(`Discovery at ${host} returned no usable token_endpoint.`);
    }
    return endpoint;
  }
  throw new UpstreamError(`Issuer ${host} publishes no authorization server metadata.`, {
    upstreamStatus: 404,
  });
}

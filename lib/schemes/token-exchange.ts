import {
  BrokerError,
  RefreshRejectedError,
  UpstreamCredentialsRejectedError,
  UpstreamError,
  UpstreamInvalidResponseError,
} from "../errors.ts";
import { logger } from "../observability/logger.ts";
import { registerSensitive } from "../observability/redact.ts";
import { countMetric, METRIC } from "../observability/metrics.ts";
import type { Secret } from "../secrets/secret-source.ts";
import { renderHeaders, renderSecretJson } from "./render-headers.ts";
import type { SchemeContext, SchemeDefinition, TokenSet } from "./scheme.ts";
import { mintJwt } from "./signed-jwt.ts";
import type { TokenExchangeConfig } from "./token-exchange.schema.ts";
import {
  getPath,
  hostOf,
  oauthErrorCode,
  parseJsonObject,
  readLifetimeSeconds,
  requireToken,
} from "./token-response.ts";

type Config = TokenExchangeConfig;

/**
 * A JSON credential exchange with optional refresh (Ledger Enterprise and any API of that shape): refresh
 * while the refresh token lives, full exchange otherwise, and a full exchange when a refresh is
 * rejected (the chain is dead; RFC 9700 2.2.2).
 */
export const tokenExchangeScheme = {
  name: "token-exchange" as const,
  create(config) {
    return {
      kind: "exchanged",
      async obtain(context, current) {
        const skewMs = config.skewSeconds * 1000;
        const refreshable =
          config.refresh &&
          current?.refreshToken &&
          (current.refreshExpiresAt === undefined || current.refreshExpiresAt - skewMs > context.now());
        if (refreshable) {
          try {
            return await refresh(config, context, current);
          } catch (error) {
            if (error instanceof RefreshRejectedError) {
              // A dead chain: often a refresh whose result was never stored (RFC 9700). Alert-worthy.
              countMetric(METRIC.refreshRejected);
              logger.warn("refresh rejected; falling back to a full exchange", {
                upstream: hostOf(config.refresh?.url as string),
                upstreamStatus: error.upstreamStatus,
                upstreamError: error.oauthError,
              });
            } else if (!refreshMaybeSpent(error)) {
              throw error; // the upstream said it did not process it: the refresh token still holds
            } else {
              // It may have rotated the token and we never saw the answer: never present it again.
              logger.warn("refresh outcome unknown; full exchange instead of replaying the refresh token", {
                upstream: hostOf(config.refresh?.url as string),
                errorName: (error as Error).name,
              });
              context.refreshTokenSpent();
              return exchange(config, context);
            }
          }
        }
        return exchange(config, context);
      },
      headers(tokens, secret) {
        return renderHeaders(config.headers, secret, { token: tokens.accessToken });
      },
    };
  },
} satisfies SchemeDefinition<Config>;

type Endpoint = NonNullable<Config["refresh"]>;

/**
 * Whether a failed refresh may have consumed the refresh token. Only an upstream that said it did
 * not process the request (connection refused, 429, 503) leaves it usable; anything else (timeout,
 * connection lost, 5xx, an unreadable 200) may have rotated it.
 */
function refreshMaybeSpent(error: unknown): boolean {
  return !(error instanceof BrokerError) || error.upstreamMayHaveProcessed === true;
}

async function call(endpoint: Endpoint, context: SchemeContext, vars: Record<string, string>) {
  // Header names are case-insensitive: a configured Accept replaces the JSON default, never joins it.
  const configured = endpoint.headers ? renderHeaders(endpoint.headers, context.secret, vars) : {};
  const headers: Record<string, string> = { accept: "application/json" };
  for (const [name, value] of Object.entries(configured)) headers[name.toLowerCase()] = value;
  headers["content-type"] = "application/json";
  const body = JSON.stringify(renderSecretJson(endpoint.body, context.secret, vars));
  const calledAt = context.now();
  // A refresh rotates its token: sending it twice would spend it twice.
  const response = await context.http.send(
    { url: endpoint.url, method: "POST", headers, body },
    { idempotent: !("refreshToken" in vars) },
  );
  // Lifetimes count from the attempt that answered (after any retries), never from the first.
  return { response, sentAt: calledAt + response.sentAfterMs };
}

async function exchange(config: Config, context: SchemeContext): Promise<TokenSet> {
  const host = hostOf(config.exchange.url);
  const jwt = config.jwt ? await mintJwt(config.jwt, context.secret, context.now()) : undefined;
  registerSensitive(jwt);
  const { response, sentAt } = await call(config.exchange, context, jwt ? { jwt } : {});
  if (response.status !== 200 && response.status !== 201) {
    const code = oauthErrorCode(response.text);
    const details = { upstreamStatus: response.status, ...(code ? { oauthError: code } : {}) };
    if (response.status === 401 || response.status === 403 || code === "invalid_client") {
      throw new UpstreamCredentialsRejectedError(
        `Token exchange at ${host} rejected the connection's credentials.`,
        details,
      );
    }
    throw new UpstreamError(`Token exchange at ${host} failed with HTTP ${response.status}.`, details);
  }
  return readTokens(config, response.text, host, sentAt, context.secret);
}

async function refresh(config: Config, context: SchemeContext, current: TokenSet): Promise<TokenSet> {
  const refreshEndpoint = config.refresh as Endpoint;
  const host = hostOf(refreshEndpoint.url);
  const { response, sentAt } = await call(refreshEndpoint, context, {
    refreshToken: current.refreshToken as string,
  });
  if (response.status !== 200 && response.status !== 201) {
    const code = oauthErrorCode(response.text);
    const details = { upstreamStatus: response.status, ...(code ? { oauthError: code } : {}) };
    if (response.status === 400 || response.status === 401 || response.status === 403) {
      throw new RefreshRejectedError(`Refresh at ${host} was rejected (HTTP ${response.status}).`, details);
    }
    throw new UpstreamError(`Refresh at ${host} failed with HTTP ${response.status}.`, details, {
      upstreamMayHaveProcessed: true,
    });
  }
  let tokens: TokenSet;
  try {
    tokens = readTokens(config, response.text, host, sentAt, context.secret);
  } catch (error) {
    // A success we cannot read: the upstream has rotated the refresh token all the same.
    throw new UpstreamInvalidResponseError(
      error instanceof BrokerError
        ? error.message
        : `Refresh at ${host} answered with a body that cannot be read.`,
      {},
      { cause: error, upstreamMayHaveProcessed: true },
    );
  }
  // RFC 6749 6: a refresh response may omit the refresh token; the old one then stays valid.
  if (tokens.refreshToken === undefined && current.refreshToken !== undefined) {
    tokens.refreshToken = current.refreshToken;
    if (current.refreshExpiresAt !== undefined) tokens.refreshExpiresAt = current.refreshExpiresAt;
  }
  return tokens;
}

function readTokens(config: Config, text: string, host: string, sentAt: number, secret: Secret): TokenSet {
  const body = parseJsonObject(text, host);
  const { response: fields } = config;
  const accessToken = requireToken(getPath(body, fields.accessToken), fields.accessToken, host);
  const lifetime = fields.expiresAt
    ? lifetimeUntil(getPath(body, fields.expiresAt), fields.expiresAt, sentAt, config, host)
    : readLifetimeSeconds(getPath(body, fields.expiresIn), fields.expiresIn, config, host);
  const tokens: TokenSet = {
    accessToken,
    expiresAt: sentAt + lifetime * 1000,
    obtainedAt: sentAt,
    secretVersion: secret.versionId,
  };
  const refreshToken = fields.refreshToken ? getPath(body, fields.refreshToken) : undefined;
  if (refreshToken !== undefined && refreshToken !== null && fields.refreshToken) {
    tokens.refreshToken = requireToken(refreshToken, fields.refreshToken, host);
    const refreshValue = fields.refreshExpiresIn ? getPath(body, fields.refreshExpiresIn) : undefined;
    if (refreshValue !== undefined && fields.refreshExpiresIn) {
      const refreshPolicy = { maxLifetimeSeconds: 366 * 86_400 };
      tokens.refreshExpiresAt =
        sentAt + readLifetimeSeconds(refreshValue, fields.refreshExpiresIn, refreshPolicy, host) * 1000;
    }
  }
  return tokens;
}

/** An absolute expiry (ISO 8601 text or epoch seconds) as whole seconds left at `sentAt`. */
function lifetimeUntil(
  value: unknown,
  field: string,
  sentAt: number,
  policy: { maxLifetimeSeconds: number; defaultExpiresInSeconds?: number | undefined },
  host: string,
): number {
  const at =
    typeof value === "string" && /^\d{4}-\d{2}-\d{2}T/.test(value)
      ? Date.parse(value)
      : typeof value === "number" && Number.isFinite(value)
        ? value * 1000
        : Number.NaN;
  if (Number.isNaN(at)) {
    if (value === undefined && policy.defaultExpiresInSeconds !== undefined)
      return policy.defaultExpiresInSeconds;
    throw new UpstreamInvalidResponseError(
      `Upstream ${host} sent no usable "${field}" (ISO 8601 or epoch seconds).`,
    );
  }
  const seconds = Math.floor((at - sentAt) / 1000);
  if (seconds <= 0)
    throw new UpstreamInvalidResponseError(`Upstream ${host} issued a token that has already expired.`);
  return Math.min(seconds, policy.maxLifetimeSeconds);
}

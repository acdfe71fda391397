/**
 * Every failure the broker reports is a named BrokerError subclass carrying an HTTP status and a
 * stable problem type (RFC 9457). Messages are written for the caller and never contain secret
 * material: callers build them from names, field paths and status codes only.
 */

export const PROBLEM_TYPE_BASE = "urn:token-broker:problem:";

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  [extension: string]: unknown;
}

export interface BrokerErrorOptions extends ErrorOptions {
  /** See BrokerError.upstreamMayHaveProcessed. */
  upstreamMayHaveProcessed?: boolean;
}

export abstract class BrokerError extends Error {
  abstract readonly status: number;
  /** Short slug; the problem type is PROBLEM_TYPE_BASE + slug. */
  abstract readonly slug: string;
  abstract readonly title: string;
  /** Extra members for the problem body (RFC 9457 extensions). Never secret material. */
  readonly extensions: Record<string, unknown> = {};
  /** Seconds the caller should wait before retrying (sets Retry-After). */
  retryAfterSeconds?: number;
  /**
   * The upstream may have processed the request even though no usable answer came back (timeout,
   * connection lost after sending, 5xx other than 503): a non-idempotent call must not be replayed.
   * Decided where the error is made, never written afterwards.
   */
  readonly upstreamMayHaveProcessed: boolean;

  constructor(message?: string, options?: BrokerErrorOptions) {
    super(message, options);
    this.upstreamMayHaveProcessed = options?.upstreamMayHaveProcessed ?? false;
  }

  get type(): string {
    return PROBLEM_TYPE_BASE + this.slug;
  }

  toProblem(): ProblemDetails {
    return {
      type: this.type,
      title: this.title,
      status: this.status,
      detail: this.message,
      ...this.extensions,
    };
  }
}

/** Invalid broker configuration. Thrown at load (and at synth), never at request time. */
export class ConfigError extends Error {
  override name = "ConfigError";
  readonly issues: readonly { path: string; message: string }[];
  constructor(source: string, issues: readonly { path: string; message: string }[]) {
    super(
      `Invalid broker config (${source}):\n${issues.map((i) => `  - ${i.path || "(root)"}: ${i.message}`).join("\n")}`,
    );
    this.issues = issues;
  }
}

export class BadRequestError extends BrokerError {
  override name = "BadRequestError";
  readonly status = 400;
  readonly slug = "bad-request";
  readonly title = "Bad request";
}

export class NotFoundError extends BrokerError {
  override name = "NotFoundError";
  readonly status = 404;
  readonly slug = "not-found";
  readonly title = "Not found";
}

export class ConnectionNotFoundError extends BrokerError {
  override name = "ConnectionNotFoundError";
  readonly status = 404;
  readonly slug = "connection-not-found";
  readonly title = "Unknown connection";
  constructor() {
    // The requested name is deliberately not echoed: it is caller input of any shape.
    super("No connection with this name is configured.");
  }
}

/** No caller token, or one that does not verify (the local authorizer; API Gateway's in AWS). */
export class UnauthorizedError extends BrokerError {
  override name = "UnauthorizedError";
  readonly status = 401;
  readonly slug = "unauthorized";
  readonly title = "Caller not authenticated";
  /**
   * Whether the request carried a bearer token that was refused. RFC 6750 3.1: a request without
   * one (no Authorization, or another scheme) gets a challenge without an error code.
   */
  readonly tokenRefused: boolean;
  constructor(message: string, options: { tokenRefused?: boolean } = {}) {
    super(message);
    this.tokenRefused = options.tokenRefused ?? true;
  }

  /** The WWW-Authenticate challenge (RFC 6750 3). */
  get challenge(): string {
    return this.tokenRefused ? 'Bearer error="invalid_token"' : "Bearer";
  }
}

/** The caller token lacks every scope the route accepts. */
export class InsufficientScopeError extends BrokerError {
  override name = "InsufficientScopeError";
  readonly status = 403;
  readonly slug = "insufficient-scope";
  readonly title = "Caller token lacks the required scope";
}

/** A browser request from an origin outside the stage's allow-list. */
export class OriginNotAllowedError extends BrokerError {
  override name = "OriginNotAllowedError";
  readonly status = 403;
  readonly slug = "origin-not-allowed";
  readonly title = "Origin not allowed";
  constructor() {
    super("Requests from this origin are not allowed.");
  }
}

/** The caller is authenticated but the connection's access policy does not list it. */
export class ConnectionAccessDeniedError extends BrokerError {
  override name = "ConnectionAccessDeniedError";
  readonly status = 403;
  readonly slug = "connection-access-denied";
  readonly title = "Not allowed to use this connection";
  constructor() {
    super("The connection's access policy does not allow this caller.");
  }
}

/** A rejected-token report on a connection that did not opt in (`forcedRefresh`). */
export class ForcedRefreshNotEnabledError extends BrokerError {
  override name = "ForcedRefreshNotEnabledError";
  readonly status = 403;
  readonly slug = "forced-refresh-not-enabled";
  readonly title = "Forced refresh is not enabled for this connection";
  constructor() {
    super('This connection does not accept rejected-token reports (set "forcedRefresh" in its config).');
  }
}

/** A rejected-token report that would refresh again within the connection's interval. */
export class ForcedRefreshRateLimitedError extends BrokerError {
  override name = "ForcedRefreshRateLimitedError";
  readonly status = 429;
  readonly slug = "forced-refresh-rate-limited";
  readonly title = "Forced refresh rate limited";
  constructor(retryAfterSeconds: number) {
    super("This connection's token was force-refreshed moments ago; retry shortly.");
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** POST .../token on a connection whose credential is delivered only through the proxy. */
export class ProxyOnlyError extends BrokerError {
  override name = "ProxyOnlyError";
  readonly status = 403;
  readonly slug = "connection-proxy-only";
  readonly title = "This connection's credential is used through the proxy only";
  constructor() {
    super("This connection does not hand out its credential; call the upstream through its proxy route.");
  }
}

/** The proxy route on a connection that has no proxy (delivery "headers"). */
export class ProxyNotEnabledError extends BrokerError {
  override name = "ProxyNotEnabledError";
  readonly status = 403;
  readonly slug = "proxy-not-enabled";
  readonly title = "This connection has no proxy";
  constructor() {
    super("This connection is not configured for proxy delivery.");
  }
}

/** A proxied method and path that no `proxy.allow` rule of the connection admits. */
export class ProxyRequestNotAllowedError extends BrokerError {
  override name = "ProxyRequestNotAllowedError";
  readonly status = 403;
  readonly slug = "proxy-request-not-allowed";
  readonly title = "Method or path not allowed by the connection's proxy rules";
}

/** A proxy path or query that cannot be forwarded safely (traversal, encoded separators, controls). */
export class ProxyPathInvalidError extends BrokerError {
  override name = "ProxyPathInvalidError";
  readonly status = 400;
  readonly slug = "proxy-path-invalid";
  readonly title = "Proxy path refused";
}

export class MethodNotAllowedError extends BrokerError {
  override name = "MethodNotAllowedError";
  readonly status = 405;
  readonly slug = "method-not-allowed";
  readonly title = "Method not allowed";
  readonly allow: string[];
  constructor(allow: string[]) {
    super(`Use ${allow.join(" or ")}.`);
    this.allow = allow;
  }
}

export class UnsupportedMediaTypeError extends BrokerError {
  override name = "UnsupportedMediaTypeError";
  readonly status = 415;
  readonly slug = "unsupported-media-type";
  readonly title = "Unsupported media type";
}

export class PayloadTooLargeError extends BrokerError {
  override name = "PayloadTooLargeError";
  readonly status = 413;
  readonly slug = "payload-too-large";
  readonly title = "Payload too large";
}

export class SecretNotFoundError extends BrokerError {
  override name = "SecretNotFoundError";
  readonly status = 500;
  readonly slug = "secret-not-found";
  readonly title = "Connection secret not found";
  constructor(secretId: string, options?: ErrorOptions) {
    super(`Secret "${secretId}" does not exist or cannot be read by the broker.`, options);
  }
}

/** The secret exists but its content does not fit the connection (not JSON, missing field, short key). */
export class SecretInvalidError extends BrokerError {
  override name = "SecretInvalidError";
  readonly status = 500;
  readonly slug = "secret-invalid";
  readonly title = "Connection secret is invalid";
}

/** The upstream answered, but with an error or a response the broker cannot use. */
export class UpstreamError extends BrokerError {
  override name = "UpstreamError";
  readonly status = 502;
  readonly slug: string = "upstream-error";
  readonly title: string = "Upstream error";
  /** HTTP status the upstream answered with, if it answered. */
  readonly upstreamStatus: number | undefined;
  /** RFC 6749 5.2 `error` code, when the upstream sent one. */
  readonly oauthError: string | undefined;
  constructor(
    message: string,
    details: { upstreamStatus?: number; oauthError?: string } = {},
    options?: BrokerErrorOptions,
  ) {
    super(message, options);
    this.upstreamStatus = details.upstreamStatus;
    this.oauthError = details.oauthError;
    if (details.upstreamStatus !== undefined) this.extensions.upstreamStatus = details.upstreamStatus;
    if (details.oauthError !== undefined) this.extensions.upstreamError = details.oauthError;
  }
}

/** The upstream rejected the broker's own credentials (401, invalid_client): maybe a rotated secret. */
export class UpstreamCredentialsRejectedError extends UpstreamError {
  override name = "UpstreamCredentialsRejectedError";
  override readonly slug = "upstream-credentials-rejected";
  override readonly title = "Upstream rejected the connection's credentials";
}

/** The upstream refused a refresh token (invalid_grant, 400/401 on refresh): the chain is dead. */
export class RefreshRejectedError extends UpstreamError {
  override name = "RefreshRejectedError";
  override readonly slug = "upstream-refresh-rejected";
  override readonly title = "Upstream rejected the refresh token";
}

/** The upstream answered with a body that is not a usable token response. */
export class UpstreamInvalidResponseError extends UpstreamError {
  override name = "UpstreamInvalidResponseError";
  override readonly slug = "upstream-invalid-response";
  override readonly title = "Upstream sent an invalid response";
}

/** The upstream's answer to a proxied request is larger than the connection's proxy allows. */
export class ProxyResponseTooLargeError extends UpstreamError {
  override name = "ProxyResponseTooLargeError";
  override readonly slug = "proxy-response-too-large";
  override readonly title = "Upstream response too large to proxy";
}

export class UpstreamUnavailableError extends BrokerError {
  override name = "UpstreamUnavailableError";
  readonly status = 503;
  readonly slug = "upstream-unavailable";
  readonly title = "Upstream unavailable";
}

/** Another instance is refreshing this token and it did not finish within the wait: retry shortly. */
export class TokenRefreshPendingError extends BrokerError {
  override name = "TokenRefreshPendingError";
  readonly status = 503;
  readonly slug = "token-refresh-pending";
  readonly title = "Token refresh in progress";
  constructor() {
    super("Another broker instance is refreshing this connection's token; retry shortly.");
    this.retryAfterSeconds = 1;
  }
}

export class UpstreamTimeoutError extends BrokerError {
  override name = "UpstreamTimeoutError";
  readonly status = 504;
  readonly slug = "upstream-timeout";
  readonly title = "Upstream timed out";
}

export class InternalError extends BrokerError {
  override name = "InternalError";
  readonly status = 500;
  readonly slug = "internal";
  readonly title = "Internal error";
  constructor() {
    super("The broker failed unexpectedly. The error has been logged.");
  }
}

/** Maps anything thrown to a BrokerError; unknown errors become a detail-free InternalError. */
export function toBrokerError(error: unknown): BrokerError {
  return error instanceof BrokerError ? error : new InternalError();
}

import { UpstreamInvalidResponseError } from "../errors.ts";
import { registerSensitive } from "../observability/redact.ts";
import { isSafeHeaderValue } from "./render-headers.ts";

export interface LifetimePolicy {
  defaultExpiresInSeconds?: number | undefined;
  maxLifetimeSeconds: number;
}

/** Parses a JSON response body that must be an object; the body itself never enters the error. */
export function parseJsonObject(text: string, host: string): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new UpstreamInvalidResponseError(`Upstream ${host} sent a token response that is not JSON.`);
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new UpstreamInvalidResponseError(
      `Upstream ${host} sent a token response that is not a JSON object.`,
    );
  }
  return body as Record<string, unknown>;
}

/** Reads a member by dot path ("data.accessToken"). */
export function getPath(body: Record<string, unknown>, path: string): unknown {
  let value: unknown = body;
  for (const part of path.split(".")) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/**
 * Tokens are opaque, but they become header values: they must be non-empty visible ASCII
 * (RFC 6749 appendix A VSCHAR), so a CR/LF in an upstream answer can never split a header.
 */
export function requireToken(value: unknown, field: string, host: string): string {
  if (typeof value !== "string" || value === "") {
    throw new UpstreamInvalidResponseError(`Upstream ${host} sent no "${field}" in its token response.`);
  }
  if (!isSafeHeaderValue(value) || value.includes(" ")) {
    throw new UpstreamInvalidResponseError(
      `Upstream ${host} sent a "${field}" with characters not allowed in a token.`,
    );
  }
  registerSensitive(value);
  return value;
}

/**
 * A lifetime in seconds: a positive integer (or integer string), capped at maxLifetimeSeconds.
 * Missing: the configured default, or an error when there is none.
 */
export function readLifetimeSeconds(
  value: unknown,
  field: string,
  policy: LifetimePolicy,
  host: string,
): number {
  if (value === undefined || value === null) {
    if (policy.defaultExpiresInSeconds !== undefined) return policy.defaultExpiresInSeconds;
    throw new UpstreamInvalidResponseError(
      `Upstream ${host} sent no "${field}"; set defaultExpiresInSeconds on the connection if it never does.`,
    );
  }
  const seconds = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof seconds !== "number" || !Number.isInteger(seconds) || seconds <= 0) {
    throw new UpstreamInvalidResponseError(
      `Upstream ${host} sent an invalid "${field}" (must be a positive integer).`,
    );
  }
  return Math.min(seconds, policy.maxLifetimeSeconds);
}

/** RFC 6749 5.2 error codes are NQSCHAR; anything else is not repeated to the caller. */
export function oauthErrorCode(text: string): string | undefined {
  try {
    const code = (JSON.parse(text) as { error?: unknown }).error;
    if (typeof code === "string" && /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,64}$/.test(code)) return code;
  } catch {
    // not JSON: no code
  }
  return undefined;
}

export function hostOf(url: string): string {
  return new URL(url).host;
}

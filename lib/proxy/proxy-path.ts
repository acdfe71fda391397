import { ProxyPathInvalidError } from "../errors.ts";

export const MAX_PROXY_PATH_LENGTH = 2048;
export const MAX_PROXY_QUERY_LENGTH = 4096;

export interface ProxyTarget {
  /** Decoded path segments, each checked; what `proxy.allow` patterns are matched against. */
  segments: string[];
  /** The path to append to the base URL: the bytes the caller sent, once they passed every check. */
  path: string;
  /** The raw query string (without "?"), checked but never decoded, logged or altered. */
  query: string;
}

const refuse = (why: string) => new ProxyPathInvalidError(`The proxy path was refused: ${why}.`);

/**
 * Turns the raw path after `/proxy/` and the raw query into something safe to append to a fixed
 * base URL, or refuses it. Decoded exactly once; a segment that still holds "%" after that (double
 * encoding), an encoded "/" or "\\", a control character, an empty segment ("//host"), "." or ".."
 * (plain or encoded, and with parameters: servlet containers read "..;x" as "..") is refused, never
 * normalized away: a proxy that "fixes" a path can be made to reach a path its rules never admitted.
 * What passes is forwarded as sent (a signed path or query must reach the upstream byte for byte).
 */
export function parseProxyTarget(rawPath: string, rawQuery: string): ProxyTarget {
  if (rawPath.length === 0) throw refuse("it is empty");
  if (rawPath.length > MAX_PROXY_PATH_LENGTH)
    throw refuse(`it is longer than ${MAX_PROXY_PATH_LENGTH} characters`);
  if (rawQuery.length > MAX_PROXY_QUERY_LENGTH)
    throw refuse(`the query is longer than ${MAX_PROXY_QUERY_LENGTH} characters`);
  // Controls, spaces, backslashes and non-ASCII never appear raw in a well-formed request target.
  if (/[^\x21-\x7e]|\\/.test(rawPath)) throw refuse("it holds a control character, space or backslash");
  if (/[^\x21-\x7e]/.test(rawQuery) || /%(?:[01][0-9a-f]|7f)/i.test(rawQuery)) {
    throw refuse("the query holds a control character");
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(rawPath)) throw refuse("it is an absolute URL");
  const segments = rawPath.split("/").map((raw) => {
    if (raw === "") throw refuse("it has an empty segment");
    let decoded: string;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      throw refuse("it holds invalid percent-encoding");
    }
    // RFC 3986 keeps ";params" inside a segment; servlet containers strip them before resolving dots.
    const beforeParams = decoded.split(";")[0];
    if (beforeParams === "." || beforeParams === "..") throw refuse("it holds a dot segment");
    if (/[%/\\]/.test(decoded)) throw refuse("it holds an encoded separator or double encoding");
    if ([...decoded].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) {
      throw refuse("it holds an encoded control character");
    }
    return decoded;
  });
  return { segments, path: rawPath, query: rawQuery };
}

export interface UpstreamTarget {
  /** The upstream's origin (scheme, host, port). */
  origin: URL;
  /** The request target sent to it: base path, the caller's path and query, byte for byte. */
  requestTarget: string;
}

/**
 * The upstream request: the base plus the checked path and query, as a string. Never resolved
 * with `new URL(path, base)` (which would let "//host" or "../" escape the base) and never
 * re-serialized by a URL parser (which re-encodes `'`, `"`, `<`, `>`, `{`, `}`: a signed query or
 * path would no longer match its signature). Checked against the URL parser's reading as well.
 */
export function upstreamTargetFor(baseUrl: string, target: ProxyTarget): UpstreamTarget {
  const base = new URL(baseUrl);
  const basePath = base.pathname.replace(/\/+$/, "");
  const requestTarget = `${basePath}/${target.path}${target.query ? `?${target.query}` : ""}`;
  const parsed = new URL(`${base.origin}${requestTarget}`);
  if (parsed.origin !== base.origin || !parsed.pathname.startsWith(`${basePath}/`)) {
    throw refuse("it would leave the connection's base URL");
  }
  return { origin: new URL(base.origin), requestTarget };
}

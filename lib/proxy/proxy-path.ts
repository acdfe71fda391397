import { ProxyPathInvalidError } from "../errors.ts";

export const MAX_PROXY_PATH_LENGTH = 2048;
export const MAX_PROXY_QUERY_LENGTH = 4096;

/** RFC 3986 pchar minus "%": what a segment may hold after one decoding, re-encoded as needed. */
const SEGMENT_SAFE = /^[A-Za-z0-9._~!$&'()*+,;=:@-]$/;

export interface ProxyTarget {
  /** Decoded path segments, each checked; what `proxy.allow` patterns are matched against. */
  segments: string[];
  /** The path to append to the base URL: segments re-encoded, joined by "/". */
  path: string;
  /** The raw query string (without "?"), checked but never decoded, logged or altered. */
  query: string;
}

const refuse = (why: string) => new ProxyPathInvalidError(`The proxy path was refused: ${why}.`);

/**
 * Turns the raw path after `/proxy/` and the raw query into something safe to append to a fixed
 * base URL, or refuses it. Decoded exactly once; a segment that still holds "%" after that (double
 * encoding), an encoded "/" or "\\", a control character, an empty segment ("//host"), "." or ".."
 * (plain or encoded) is refused, never normalized away: a proxy that "fixes" a path can be made to
 * reach a path its rules never admitted.
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
    if (decoded === "." || decoded === "..") throw refuse("it holds a dot segment");
    if (/[%/\\]/.test(decoded)) throw refuse("it holds an encoded separator or double encoding");
    if ([...decoded].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) {
      throw refuse("it holds an encoded control character");
    }
    return decoded;
  });
  const path = segments.map(encodeSegment).join("/");
  return { segments, path, query: rawQuery };
}

function encodeSegment(segment: string): string {
  let out = "";
  for (const char of segment) out += SEGMENT_SAFE.test(char) ? char : encodeURIComponent(char);
  return out;
}

/**
 * The upstream URL: the base plus the checked path and query. Built as a string and verified, not
 * resolved with `new URL(path, base)`, which would let "//host" or "../" escape the base.
 */
export function upstreamUrlFor(baseUrl: string, target: ProxyTarget): URL {
  const base = new URL(baseUrl);
  const basePath = base.pathname.replace(/\/+$/, "");
  const url = new URL(`${base.origin}${basePath}/${target.path}${target.query ? `?${target.query}` : ""}`);
  if (url.origin !== base.origin || !url.pathname.startsWith(`${basePath}/`)) {
    throw refuse("it would leave the connection's base URL");
  }
  return url;
}

/**
 * Proxy rules at run time (no zod): what is never forwarded or returned, and rule matching. The
 * settings' schema (load and synth) is ./proxy-rules.schema.ts.
 */
export const PROXY_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] as const;
export type ProxyMethod = (typeof PROXY_METHODS)[number];

/**
 * Headers the broker never forwards, whatever a connection's allow-list says: hop-by-hop
 * (RFC 9110 7.6.1), the caller's own credentials and identity, and forwarding headers a caller
 * could forge. The injected credential's header names are stripped as well, per connection.
 */
export const NEVER_FORWARDED = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "host",
  "origin",
  "referer",
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "content-length",
  "forwarded",
  "via",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
  "x-forwarded-port",
  "x-real-ip",
  "x-amzn-trace-id",
]);

/**
 * Set on every answer that passes through the proxy, and on no answer of the broker's own: a
 * client tells the upstream's answer (any status, any media type, even problem+json) from the
 * broker's problems by it. Never taken from the upstream.
 */
export const PROXIED_HEADER = "x-broker-proxied";
export const PROXIED_VALUE = "upstream";

/** Response headers never passed back: cookies, credentials and hop-by-hop. */
export const NEVER_RETURNED = new Set([
  "set-cookie",
  "set-cookie2",
  "authorization",
  "proxy-authenticate",
  "proxy-authorization",
  "www-authenticate",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "trailer",
  "content-length",
  "content-encoding",
  PROXIED_HEADER,
]);

/** Header names a Connection header lists: hop-by-hop for this message (RFC 9110 7.6.1). */
export function connectionOptions(value: string | null | undefined): Set<string> {
  return new Set(
    (value ?? "")
      .split(",")
      .map((name) => name.trim().toLowerCase())
      .filter((name) => name.length > 0),
  );
}

export const DEFAULT_REQUEST_HEADERS = [
  "accept",
  "accept-language",
  "content-type",
  "if-match",
  "if-none-match",
  "if-modified-since",
  "idempotency-key",
];
export const DEFAULT_RESPONSE_HEADERS = [
  "content-type",
  "content-language",
  "etag",
  "last-modified",
  "location",
  "retry-after",
];

/**
 * Lambda's synchronous payload limit is 6 MB for the event and for the answer, and binary bodies
 * travel base64-encoded (4/3 larger): 4 MiB each way stays under it with room for headers.
 */
export const MAX_PROXY_BODY_BYTES = 4 * 1024 * 1024;

export interface ProxyRule {
  methods: ProxyMethod[];
  paths: string[];
}

/** A connection's proxy settings, validated at load and synth (./proxy-rules.schema.ts). */
export interface ProxySettings {
  baseUrl: string;
  allow: ProxyRule[];
  requestHeaders: string[];
  responseHeaders: string[];
  maxRequestBytes: number;
  maxResponseBytes: number;
  timeoutMs: number;
}

export type Delivery = "headers" | "proxy" | "both";

/** Whether a rule's path pattern admits these (decoded) segments. */
export function pathMatches(pattern: string, segments: readonly string[]): boolean {
  const parts = pattern === "/" ? [] : pattern.slice(1).split("/");
  const rest = parts.at(-1) === "**";
  const fixed = rest ? parts.slice(0, -1) : parts;
  if (rest ? segments.length <= fixed.length : segments.length !== fixed.length) return false;
  return fixed.every((part, i) => part === "*" || part === segments[i]);
}

/** The index of the first rule admitting the request, or -1. */
export function matchRule(settings: ProxySettings, method: string, segments: readonly string[]): number {
  return settings.allow.findIndex(
    (rule) =>
      (rule.methods as readonly string[]).includes(method) &&
      rule.paths.some((pattern) => pathMatches(pattern, segments)),
  );
}

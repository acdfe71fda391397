import * as z from "zod/mini";
import { headerName, upstreamUrl } from "../config/common.ts";
import { intRange } from "../config/schema-helpers.ts";

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
]);

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

/** `/a/b`, `/a/*` (one segment), `/a/**` (one or more segments, last only). */
const pathPattern = z.string().check(
  z.maxLength(512),
  z.regex(
    /^(\/([A-Za-z0-9._~!$&'()+,;=:@-]+|\*))*(\/\*\*)?$/,
    "a path pattern: /segments, * for one segment, a final /** for the rest",
  ),
  z.refine((p) => p.length > 0, "a path pattern cannot be empty"),
  z.refine((p) => !p.split("/").some((s) => s === "." || s === ".."), "no . or .. segments"),
);

const lowerHeaderList = (never: Set<string>, what: string) =>
  z.array(headerName).check(
    z.refine((names) => !names.some((n) => never.has(n.toLowerCase())), {
      message: `lists a header the broker never ${what}: ${[...never].join(", ")}`,
    }),
  );

/** A connection's proxy: where it forwards to, what it lets through, and how much. */
export const proxySettings = z.strictObject({
  /** Fixed upstream base; the caller supplies only a path below it. */
  baseUrl: upstreamUrl.check(
    z.refine((u) => {
      const url = new URL(u);
      return !url.username && !url.password && !url.search && !url.hash;
    }, "a base URL without user-info, query or fragment"),
  ),
  allow: z
    .array(
      z.strictObject({
        methods: z.array(z.enum(PROXY_METHODS)).check(z.minLength(1)),
        paths: z.array(pathPattern).check(z.minLength(1)),
      }),
    )
    .check(z.minLength(1)),
  /** Caller headers forwarded (everything else is dropped). */
  requestHeaders: z._default(lowerHeaderList(NEVER_FORWARDED, "forwards"), DEFAULT_REQUEST_HEADERS),
  /** Upstream headers returned (everything else is dropped). */
  responseHeaders: z._default(lowerHeaderList(NEVER_RETURNED, "returns"), DEFAULT_RESPONSE_HEADERS),
  maxRequestBytes: z._default(intRange(0, MAX_PROXY_BODY_BYTES), 1024 * 1024),
  maxResponseBytes: z._default(intRange(1, MAX_PROXY_BODY_BYTES), MAX_PROXY_BODY_BYTES),
  /** Per upstream attempt; the token function's own timeout is 15 s. */
  timeoutMs: z._default(intRange(100, 10_000), 8_000),
});
export type ProxySettings = z.output<typeof proxySettings>;

export const delivery = z.enum(["headers", "proxy", "both"]);
export type Delivery = z.output<typeof delivery>;

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

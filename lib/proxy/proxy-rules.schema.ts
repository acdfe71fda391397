import * as z from "zod/mini";
import { headerName, upstreamUrl } from "../config/common.ts";
import { intRange } from "../config/schema-helpers.ts";
import {
  DEFAULT_REQUEST_HEADERS,
  DEFAULT_RESPONSE_HEADERS,
  type Delivery,
  MAX_PROXY_BODY_BYTES,
  NEVER_FORWARDED,
  NEVER_RETURNED,
  PROXY_METHODS,
  type ProxySettings,
} from "./proxy-rules.ts";

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

export const delivery = z.enum(["headers", "proxy", "both"]);

// The schema's output is exactly the run-time type (checked by the compiler).
export const _proxySettingsShape: z.output<typeof proxySettings> extends ProxySettings ? true : never = true;
export const _deliveryShape: z.output<typeof delivery> extends Delivery ? true : never = true;

import type { Broker, IssuedCredential } from "../broker.ts";
import { PayloadTooLargeError, ProxyNotEnabledError, ProxyRequestNotAllowedError } from "../errors.ts";
import { BASE_HEADERS, type HttpResponse } from "../http/responses.ts";
import { logger } from "../observability/logger.ts";
import { countMetric, METRIC, proxyLatencyMetric } from "../observability/metrics.ts";
import { forward, type ForwardResponse } from "../upstream/forward.ts";
import { encodedForms } from "../observability/redact.ts";
import {
  connectionOptions,
  matchRule,
  NEVER_FORWARDED,
  NEVER_RETURNED,
  PROXIED_HEADER,
  PROXIED_VALUE,
  type ProxySettings,
} from "./proxy-rules.ts";
import { type AuditNote, credentialNote, noteAudit } from "../audit/audit-record.ts";
import { parseProxyTarget, type UpstreamTarget, upstreamTargetFor } from "./proxy-path.ts";

export interface ProxyInput {
  connection: string;
  method: string;
  /** The raw (still percent-encoded) path after `/v1/connections/{name}/proxy/`. */
  rawPath: string;
  rawQuery: string;
  headers: Record<string, string | undefined>;
  body: Buffer;
  /** The request's audit record in the making: the rule, the upstream, the credential sent. */
  audit?: AuditNote;
}

/**
 * Proxy mode: forwards the caller's request to the connection's fixed upstream with the credential
 * injected, so the credential never reaches the caller. The credential comes exactly as
 * `POST .../token` would give it (fresh signature per request, or the cached token with its single
 * flight); an upstream 401 on a cached token refreshes it (only if still cached) and retries once.
 */
export async function proxyRequest(broker: Broker, input: ProxyInput): Promise<HttpResponse> {
  const config = broker.connection(input.connection);
  const settings = config?.proxy;
  if (!config || !settings || config.delivery === "headers") throw new ProxyNotEnabledError();
  const target = parseProxyTarget(input.rawPath, input.rawQuery);
  const rule = matchRule(settings, input.method, target.segments);
  noteAudit(input.audit, { proxy: { method: input.method, ...(rule >= 0 ? { rule } : {}) } });
  if (rule < 0) {
    throw new ProxyRequestNotAllowedError(
      `The connection's proxy rules do not allow ${input.method} on this path.`,
    );
  }
  if (input.body.length > settings.maxRequestBytes) {
    throw new PayloadTooLargeError(
      `Proxied request bodies are limited to ${settings.maxRequestBytes} bytes.`,
    );
  }
  const upstream = upstreamTargetFor(settings.baseUrl, target);
  noteAudit(input.audit, { proxy: { method: input.method, rule, upstreamHost: upstream.origin.host } });
  const started = performance.now();
  let credential = await broker.getCredential(input.connection);
  // Noted before the call: a refusal after it (a timeout) still says which credential was sent.
  noteAudit(input.audit, { credential: credentialNote(credential) });
  let response = await send(settings, upstream, input, credential);
  let retried = false;
  if (response.status === 401 && credential.tokenId !== undefined) {
    // The upstream refused the cached token (revoked early, rotated): replace it once, retry once.
    credential = await broker.getCredential(input.connection, { rejectedTokenId: credential.tokenId });
    response = await send(settings, upstream, input, credential);
    retried = true;
  }
  noteAudit(input.audit, {
    credential: credentialNote(credential),
    proxy: {
      method: input.method,
      rule,
      upstreamHost: upstream.origin.host,
      upstreamStatus: response.status,
      ...(retried ? { retried } : {}),
    },
  });
  const latencyMs = Math.round(performance.now() - started);
  countMetric(METRIC.proxyRequest);
  countMetric(statusClassMetric(response.status));
  proxyLatencyMetric(latencyMs);
  logger.info("proxied", {
    connection: input.connection,
    method: input.method,
    rule,
    upstream: upstream.origin.host,
    upstreamStatus: response.status,
    latencyMs,
    retried,
  });
  return {
    statusCode: response.status,
    headers: {
      ...returnedHeaders(settings, response, credential),
      ...BASE_HEADERS,
      [PROXIED_HEADER]: PROXIED_VALUE,
    },
    body: response.body.toString("base64"),
    isBase64Encoded: true,
  };
}

function send(
  settings: ProxySettings,
  upstream: UpstreamTarget,
  input: ProxyInput,
  credential: IssuedCredential,
) {
  return forward({
    ...upstream,
    method: input.method,
    headers: { ...forwardedHeaders(settings, input.headers, credential), ...credential.headers },
    ...(input.method === "GET" || input.method === "HEAD" ? {} : { body: input.body }),
    timeoutMs: settings.timeoutMs,
    maxResponseBytes: settings.maxResponseBytes,
  });
}

/**
 * The caller's allow-listed headers, never one the broker strips, one the credential sets, or one
 * the caller's Connection header names (hop-by-hop for that message, RFC 9110 7.6.1).
 */
function forwardedHeaders(
  settings: ProxySettings,
  headers: ProxyInput["headers"],
  credential: IssuedCredential,
): Record<string, string> {
  const injected = new Set(Object.keys(credential.headers).map((h) => h.toLowerCase()));
  const allowed = new Set(settings.requestHeaders.map((h) => h.toLowerCase()));
  const connection = Object.entries(headers).find(([name]) => name.toLowerCase() === "connection")?.[1];
  const hopByHop = connectionOptions(connection);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (
      value === undefined ||
      !allowed.has(lower) ||
      NEVER_FORWARDED.has(lower) ||
      injected.has(lower) ||
      hopByHop.has(lower)
    )
      continue;
    out[lower] = value;
  }
  return out;
}

/**
 * The upstream's allow-listed headers, never a cookie, one the credential names, one the upstream's
 * Connection header names, or one whose value carries the credential in any form it travels in
 * (an upstream echoing the token raw, URL-encoded or base64 in an allow-listed header or Location).
 */
function returnedHeaders(
  settings: ProxySettings,
  response: ForwardResponse,
  credential: IssuedCredential,
): Record<string, string> {
  const injected = new Set(Object.keys(credential.headers).map((h) => h.toLowerCase()));
  // "Bearer <token>" -> also "<token>": an echo of the bare token is a leak too.
  const forms = Object.values(credential.headers)
    .flatMap((v) => [v, ...v.split(" ").filter((part) => part.length >= 8)])
    .flatMap(encodedForms);
  // Percent-encoding is case-insensitive in its hex digits: compare URL-encoded echoes folded.
  const folded = forms.filter((f) => f.includes("%")).map((f) => f.toLowerCase());
  const carriesCredential = (value: string) =>
    forms.some((f) => value.includes(f)) || folded.some((f) => value.toLowerCase().includes(f));
  const hopByHop = connectionOptions(response.headers.get("connection"));
  const out: Record<string, string> = {};
  for (const name of settings.responseHeaders) {
    const lower = name.toLowerCase();
    if (NEVER_RETURNED.has(lower) || injected.has(lower) || hopByHop.has(lower)) continue;
    const value = response.headers.get(lower);
    if (value !== null && !carriesCredential(value)) out[lower] = value;
  }
  return out;
}

function statusClassMetric(status: number) {
  if (status < 300) return METRIC.proxyUpstream2xx;
  if (status < 400) return METRIC.proxyUpstream3xx;
  if (status < 500) return METRIC.proxyUpstream4xx;
  return METRIC.proxyUpstream5xx;
}

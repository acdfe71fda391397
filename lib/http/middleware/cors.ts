import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { cleanupMiddlewares } from "@aws-lambda-powertools/commons";
import { OriginNotAllowedError } from "../../errors.ts";
import { logger } from "../../observability/logger.ts";
import type { ConnectionConfig } from "../../config/broker-config.ts";
import { PROXIED_HEADER, PROXY_METHODS } from "../../proxy/proxy-rules.ts";
import { BASE_HEADERS, type HttpResponse, problem } from "../responses.ts";

const BROKER_METHODS = ["GET", "POST"];
/** How long a browser may cache a preflight's answer, here and at the gateway. */
export const CORS_MAX_AGE_SECONDS = 3600;
const BROKER_HEADERS = ["authorization", "content-type"];
/**
 * Response headers a browser may read beyond the CORS-safelisted ones: Retry-After (503 problems),
 * WWW-Authenticate (401), Allow (405), what proxied answers commonly need, and the mark that tells
 * a proxied answer from the broker's own.
 */
export const CORS_EXPOSE_HEADERS = [
  "retry-after",
  "www-authenticate",
  "allow",
  "etag",
  "location",
  PROXIED_HEADER,
];

/** What a preflight grants: the handler answers with it, and the stack gives the HTTP API the same. */
export interface CorsPolicy {
  allowMethods: string[];
  allowHeaders: string[];
  exposeHeaders: string[];
}

/**
 * The CORS policy for a set of connections: the broker's routes, plus, when a connection is
 * proxied, every method a proxy rule may allow and the union of the proxies' forwarded headers.
 */
export function corsPolicy(connections: readonly ConnectionConfig[]): CorsPolicy {
  const proxies = connections.flatMap((c) => (c.delivery !== "headers" && c.proxy ? [c.proxy] : []));
  return {
    allowMethods: proxies.length > 0 ? [...PROXY_METHODS] : BROKER_METHODS,
    allowHeaders: [
      ...new Set([
        ...BROKER_HEADERS,
        ...proxies.flatMap((p) => p.requestHeaders.map((h) => h.toLowerCase())).sort(),
      ]),
    ],
    exposeHeaders: CORS_EXPOSE_HEADERS,
  };
}

export interface CorsOptions {
  /** The policy, read on the first preflight (the broker config loads lazily). */
  policy?: () => CorsPolicy;
}

/**
 * Exact-origin CORS, enforced by the handler itself so a broker never serves a credential to a
 * page on a foreign origin, even where the gateway's CORS is only advisory to browsers. Never `*`,
 * never a reflected origin, `null` refused, `Vary: Origin` always. Answers preflights (API Gateway
 * answers them itself in AWS; the local gateway passes them through to here).
 */
export function cors(
  allowedOrigins: readonly string[],
  options: CorsOptions = {},
): MiddlewareObj<APIGatewayProxyEventV2, HttpResponse, Error, Context> {
  const allowed = new Set(allowedOrigins);
  let preflightHeaders: Record<string, string> | undefined;
  const preflight = () => {
    if (!preflightHeaders) {
      const policy = options.policy?.() ?? corsPolicy([]);
      preflightHeaders = {
        "access-control-allow-methods": policy.allowMethods.join(", "),
        "access-control-allow-headers": policy.allowHeaders.join(", "),
        "access-control-max-age": String(CORS_MAX_AGE_SECONDS),
      };
    }
    return preflightHeaders;
  };
  const originOf = (event: APIGatewayProxyEventV2) => event.headers?.origin;
  return {
    name: "cors",
    before: async (request) => {
      const origin = originOf(request.event);
      const isPreflight = request.event.requestContext.http.method === "OPTIONS";
      if (origin === undefined && !isPreflight) return;
      if (origin === undefined || !allowed.has(origin)) {
        // An early answer: logged like every refusal, and the observability middlewares that ran
        // before this one finish their work (metrics flushed, per-request keys reset).
        const refused = new OriginNotAllowedError();
        logger.info("request refused", {
          problemType: refused.type,
          status: refused.status,
          routeKey: request.event.routeKey,
        });
        await cleanupMiddlewares(request);
        return withVary(problem(refused, request.context.awsRequestId));
      }
      if (isPreflight) {
        return corsHeaders(
          { statusCode: 204, headers: { ...BASE_HEADERS, ...preflight() }, body: "" },
          origin,
        );
      }
    },
    after: (request) => {
      const origin = originOf(request.event);
      if (request.response)
        request.response =
          origin && allowed.has(origin) ? corsHeaders(request.response, origin) : withVary(request.response);
    },
    onError: (request) => {
      const origin = originOf(request.event);
      if (request.response)
        request.response =
          origin && allowed.has(origin) ? corsHeaders(request.response, origin) : withVary(request.response);
    },
  };
}

function withVary(response: HttpResponse): HttpResponse {
  return { ...response, headers: { ...response.headers, vary: "Origin" } };
}

function corsHeaders(response: HttpResponse, origin: string): HttpResponse {
  return withVary({
    ...response,
    headers: {
      ...response.headers,
      "access-control-allow-origin": origin,
      "access-control-expose-headers": CORS_EXPOSE_HEADERS.join(", "),
    },
  });
}

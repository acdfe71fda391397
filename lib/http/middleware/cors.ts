import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { cleanupMiddlewares } from "@aws-lambda-powertools/commons";
import { OriginNotAllowedError } from "../../errors.ts";
import { logger } from "../../observability/logger.ts";
import { PROXIED_HEADER } from "../../proxy/proxy-rules.ts";
import { BASE_HEADERS, type HttpResponse, problem } from "../responses.ts";

export const CORS_ALLOW_METHODS = "GET, POST";
/** With a proxied connection: every method a proxy rule may allow. */
export const CORS_PROXY_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE";
export const CORS_ALLOW_HEADERS = ["authorization", "content-type"];
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

export interface CorsOptions {
  /**
   * Extra request headers browsers may send (the proxies' forwarded headers), and whether any
   * connection is proxied; read on the first preflight (the broker config loads lazily).
   */
  proxy?: () => { headers: readonly string[] } | undefined;
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
      const proxy = options.proxy?.();
      preflightHeaders = {
        "access-control-allow-methods": proxy ? CORS_PROXY_METHODS : CORS_ALLOW_METHODS,
        "access-control-allow-headers": [...new Set([...CORS_ALLOW_HEADERS, ...(proxy?.headers ?? [])])].join(
          ", ",
        ),
        "access-control-max-age": "3600",
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

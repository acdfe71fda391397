import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { OriginNotAllowedError } from "../../errors.ts";
import { BASE_HEADERS, type HttpResponse, problem } from "../responses.ts";

export const CORS_ALLOW_METHODS = "GET, POST";
export const CORS_ALLOW_HEADERS = "authorization, content-type";

/**
 * Exact-origin CORS, enforced by the handler itself so a broker never serves a credential to a
 * page on a foreign origin, even where the gateway's CORS is only advisory to browsers. Never `*`,
 * never a reflected origin, `null` refused, `Vary: Origin` always. Answers preflights (API Gateway
 * answers them itself in AWS; the local gateway passes them through to here).
 */
export function cors(
  allowedOrigins: readonly string[],
): MiddlewareObj<APIGatewayProxyEventV2, HttpResponse, Error, Context> {
  const allowed = new Set(allowedOrigins);
  const originOf = (event: APIGatewayProxyEventV2) => event.headers?.origin;
  return {
    name: "cors",
    before: (request) => {
      const origin = originOf(request.event);
      const preflight = request.event.requestContext.http.method === "OPTIONS";
      if (origin === undefined && !preflight) return;
      if (origin === undefined || !allowed.has(origin)) {
        return withVary(problem(new OriginNotAllowedError(), request.context.awsRequestId));
      }
      if (preflight) {
        return corsHeaders(
          {
            statusCode: 204,
            headers: {
              ...BASE_HEADERS,
              "access-control-allow-methods": CORS_ALLOW_METHODS,
              "access-control-allow-headers": CORS_ALLOW_HEADERS,
              "access-control-max-age": "3600",
            },
            body: "",
          },
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
      if (request.response && origin && allowed.has(origin))
        request.response = corsHeaders(request.response, origin);
    },
  };
}

function withVary(response: HttpResponse): HttpResponse {
  return { ...response, headers: { ...response.headers, vary: "Origin" } };
}

function corsHeaders(response: HttpResponse, origin: string): HttpResponse {
  return withVary({ ...response, headers: { ...response.headers, "access-control-allow-origin": origin } });
}

import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import type { LocalJwtAuthorizer } from "../auth/local-jwt-authorizer.ts";
import { BadRequestError, PayloadTooLargeError, toBrokerError } from "../errors.ts";
import { logger } from "../observability/logger.ts";
import { LOCAL_REJECTION } from "../auth/gateway-authorizer.ts";
import { BASE_HEADERS, type HttpResponse, problem } from "./responses.ts";
import { matchRoute, PUBLIC_ROUTES, type RouteKey } from "./routes.ts";

/** The part of Lambda's InvokeStore the gateway uses (present when invocations are scoped). */
interface InvocationStore {
  run<T>(context: Record<symbol, unknown>, fn: () => T): T;
}
/** The store's key for the request id (the runtime's protected key). */
const REQUEST_ID = Symbol.for("_AWS_LAMBDA_REQUEST_ID");

/** Lambda's synchronous payload limit (API Gateway takes 10 MB, Lambda 6); the handler applies its own. */
const MAX_GATEWAY_BODY_BYTES = 6 * 1024 * 1024;

/** Bodies API Gateway passes as text; anything else arrives base64-encoded (isBase64Encoded). */
const TEXT_BODY = /^(text\/|application\/(json|[\w.+-]+\+json|x-www-form-urlencoded|xml|javascript)\b)/i;

export type LambdaHttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpResponse>;

/** Builds the API Gateway HTTP API (payload v2) event that the deployed gateway would send. */
export function toApiGatewayEvent(request: IncomingMessage, rawBody: Buffer): APIGatewayProxyEventV2 {
  try {
    new URL(request.url ?? "/", "http://localhost");
  } catch {
    // `--request-target '//['`: API Gateway answers such a target itself; it is the client's fault.
    throw new BadRequestError("The request target is not a valid path.");
  }
  // The path and query as sent, dot segments and percent-encoding intact (WHATWG URL parsing would
  // resolve "../" and "%2e%2e" and re-encode the query): routes and the proxy judge what the caller
  // really asked for. An absolute-form target ("http://host/path") loses only its scheme and host.
  const target = (request.url ?? "/").replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, "");
  const [pathPart = "", ...queryParts] = target.split("#")[0]!.split("?");
  const rawPath = pathPart.startsWith("/") ? pathPart : `/${pathPart}`;
  const rawQueryString = queryParts.join("?");
  const method = request.method ?? "GET";
  const { routeKey, pathParameters } = matchRoute(method, rawPath);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  const now = new Date();
  return {
    version: "2.0",
    routeKey,
    rawPath,
    rawQueryString,
    headers,
    ...(pathParameters ? { pathParameters } : {}),
    requestContext: {
      accountId: "local",
      apiId: "local",
      domainName: headers.host ?? "localhost",
      domainPrefix: "localhost",
      http: {
        method,
        path: rawPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: randomUUID(),
      routeKey,
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...body(rawBody, headers["content-type"]),
  };
}

function body(raw: Buffer, contentType: string | undefined): { body?: string; isBase64Encoded: boolean } {
  if (raw.length === 0) return { isBase64Encoded: false };
  if (TEXT_BODY.test(contentType ?? "")) return { body: raw.toString("utf8"), isBase64Encoded: false };
  return { body: raw.toString("base64"), isBase64Encoded: true };
}

function lambdaContext(requestId: string): Context {
  const deadline = Date.now() + 30_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: "token-broker-local",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:local:000000000000:function:token-broker-local",
    memoryLimitInMB: "512",
    awsRequestId: requestId,
    logGroupName: "local",
    logStreamName: "local",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_GATEWAY_BODY_BYTES) throw new PayloadTooLargeError("Request body too large.");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export interface LocalGatewayOptions {
  /** Verifies callers like API Gateway's JWT authorizer; absent: requests reach the handler unverified. */
  authorizer?: LocalJwtAuthorizer;
  /**
   * `BROKER_LOCAL_AUTH=dev` only: the dev issuer's caller token, handed out at `POST /local/dev-token`
   * so the example page can "sign in". A local-gateway route: it does not exist in the handler, so
   * it cannot exist in AWS, and `jwks` and `none` modes never set it.
   */
  devToken?: string;
  /** Origins the local-only routes answer with CORS (the handler enforces its own). */
  corsOrigins?: readonly string[];
  /** The OpenAPI document served at `GET /openapi.json` (public, like `/health`). */
  openApiDocument?: string;
}

/** Routes the local gateway answers itself, before the handler: development conveniences only. */
function localRoute(request: IncomingMessage, options: LocalGatewayOptions): HttpResponse | undefined {
  const path = (request.url ?? "").split("?")[0];
  const origin = request.headers.origin;
  const cors: Record<string, string> =
    origin && options.corsOrigins?.includes(origin)
      ? { "access-control-allow-origin": origin, vary: "Origin" }
      : { vary: "Origin" };
  if (path === "/openapi.json" && options.openApiDocument && request.method === "GET") {
    return {
      statusCode: 200,
      headers: { ...BASE_HEADERS, ...cors, "content-type": "application/json" },
      body: options.openApiDocument,
    };
  }
  if (path === "/local/dev-token" && options.devToken) {
    if (request.method === "OPTIONS") {
      return {
        statusCode: 204,
        headers: { ...BASE_HEADERS, ...cors, "access-control-allow-methods": "POST" },
        body: "",
      };
    }
    if (request.method === "POST") {
      return {
        statusCode: 200,
        headers: { ...BASE_HEADERS, ...cors, "content-type": "application/json" },
        body: JSON.stringify({ accessToken: options.devToken, tokenType: "Bearer" }),
      };
    }
  }
  return undefined;
}

/** API Gateway hands claims to Lambda as strings, arrays rendered "[a b]"; do the same. */
function gatewayClaims(claims: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(claims).map(([k, v]) => [
      k,
      Array.isArray(v)
        ? `[${v.join(" ")}]`
        : typeof v === "object" && v !== null
          ? JSON.stringify(v)
          : String(v as string | number | boolean | bigint | null | undefined),
    ]),
  );
}

/** Serves a Lambda HTTP handler on loopback, translating requests as API Gateway would. */
export function serveLocally(
  handler: LambdaHttpHandler,
  port: number,
  options: LocalGatewayOptions = {},
): Promise<Server> {
  const serve = async (request: IncomingMessage, response: ServerResponse) => {
    let result: HttpResponse;
    const local = localRoute(request, options);
    if (local) {
      request.resume();
      response.writeHead(local.statusCode, local.headers).end(local.body);
      return;
    }
    try {
      const event = toApiGatewayEvent(request, await readBody(request));
      const protectedRoute =
        event.routeKey !== "$default" && !PUBLIC_ROUTES.includes(event.routeKey as RouteKey);
      if (options.authorizer && protectedRoute) {
        let authorizer: unknown;
        try {
          const claims = await options.authorizer.verify(event.headers.authorization);
          const scopes = typeof claims.scope === "string" ? claims.scope.split(" ") : null;
          authorizer = { jwt: { claims: gatewayClaims(claims), scopes } };
        } catch (error) {
          // Answered by the handler's middlewares like every other problem: CORS, Vary, requestId, a
          // log line. Only an in-process object can carry it; an API Gateway event never does.
          authorizer = { [LOCAL_REJECTION]: toBrokerError(error) };
        }
        Object.assign(event.requestContext, { authorizer });
      }
      const requestId = event.requestContext.requestId;
      // One invocation context per request when the process scopes them (lib/local/invocation-scope.ts).
      const store = (globalThis as { awslambda?: { InvokeStore?: InvocationStore } }).awslambda?.InvokeStore;
      const invoke = () => handler(event, lambdaContext(requestId));
      result = await (store ? store.run({ [REQUEST_ID]: requestId }, invoke) : invoke());
    } catch (error) {
      // Before the handler (unparseable target, oversized body): answered and logged here.
      const brokerError = toBrokerError(error);
      const requestId = randomUUID();
      if (brokerError.status >= 500)
        logger.error("local gateway failed", { requestId, errorName: (error as Error)?.name });
      else
        logger.info("request rejected by the local gateway", {
          requestId,
          problemType: brokerError.type,
          status: brokerError.status,
        });
      result = problem(brokerError, requestId);
    }
    response
      .writeHead(result.statusCode, result.headers)
      .end(result.isBase64Encoded ? Buffer.from(result.body, "base64") : result.body);
  };
  // Nothing may reject unhandled (writing an answer the socket no longer takes, say): that would
  // end the local server. Such a failure ends this one response, logged.
  const server = createServer((request, response) => {
    serve(request, response).catch((error: unknown) => {
      logger.error("local gateway could not answer", { errorName: (error as Error)?.name });
      response.destroy();
    });
  });
  // Loopback only: the local server is for development and may run without caller authentication.
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

export function serverUrl(server: Server): string {
  const { address, port } = server.address() as AddressInfo;
  return `http://${address.includes(":") ? `[${address}]` : address}:${port}`;
}

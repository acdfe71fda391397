import middy from "@middy/core";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import type { Broker } from "../../lib/broker.ts";
import { callerOf, verifiedClaims } from "../../lib/auth/gateway-authorizer.ts";
import { correlationId } from "../../lib/http/middleware/correlation-id.ts";
import { cors, corsPolicy } from "../../lib/http/middleware/cors.ts";
import { problemResponses } from "../../lib/http/middleware/problem-responses.ts";
import type { HttpResponse } from "../../lib/http/responses.ts";
import { handleApiRequest } from "../../lib/http/token-api.ts";
import { logger } from "../../lib/observability/logger.ts";
import { metrics } from "../../lib/observability/metrics.ts";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { brokerFromEnv } from "../../lib/runtime/broker-from-env.ts";
import { type AuditNote, auditRecordOf } from "../../lib/audit/audit-record.ts";
import { type AuditSink, auditSink } from "../../lib/audit/audit-trail.ts";
import { ROUTES } from "../../lib/http/routes.ts";
import { PROXIED_HEADER, PROXIED_VALUE } from "../../lib/proxy/proxy-rules.ts";
import { type Settings, settingsFromEnv } from "../../lib/runtime/settings.ts";
import { invocationDeadline, runWithDeadline } from "../../lib/runtime/invocation-deadline.ts";

/** Builds the token function around a broker; `handler` below uses the one configured by the environment. */
export function createTokenHandler(
  getBroker: () => Broker,
  settings: Pick<Settings, "corsOrigins" | "allowAnonymous" | "audit"> = settingsFromEnv(),
  options: { audit?: AuditSink; now?: () => number } = {},
) {
  const { allowAnonymous } = settings;
  const sink = options.audit ?? auditSink(settings.audit);
  const now = options.now ?? Date.now;
  // Each audited request's note, by its event (middy hands the handler the same object).
  const notes = new WeakMap<APIGatewayProxyEventV2, AuditNote>();
  const inner = middy<APIGatewayProxyEventV2, HttpResponse, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(correlationId(logger))
    .use(cors(settings.corsOrigins, { policy: () => corsPolicyOf(getBroker()) }))
    .use(problemResponses())
    .handler((event, context) =>
      runWithDeadline(invocationDeadline(context), () => serve(event, notes.get(event))),
    );

  /** Every request but the health check and preflights is one audit record, whatever its answer. */
  return async function tokenHandler(event: APIGatewayProxyEventV2, context: Context): Promise<HttpResponse> {
    const { method } = event.requestContext.http;
    if (event.routeKey === ROUTES.health || method === "OPTIONS") return inner(event, context);
    const note: AuditNote = {};
    let response: HttpResponse | undefined;
    try {
      notes.set(event, note);
      response = await inner(event, context);
      return response;
    } finally {
      const claims = verifiedClaims(event);
      sink(
        auditRecordOf({
          route: event.routeKey,
          method,
          requestId: event.requestContext.requestId,
          lambdaRequestId: context.awsRequestId,
          ...(claims ? { claims } : {}),
          anonymous: allowAnonymous,
          status: response?.statusCode ?? 500,
          proxied: response?.headers[PROXIED_HEADER] === PROXIED_VALUE,
          ...(response && !response.isBase64Encoded ? { body: response.body } : {}),
          note,
          now: now(),
        }),
      );
    }
  };

  async function serve(event: APIGatewayProxyEventV2, audit: AuditNote | undefined): Promise<HttpResponse> {
    const caller = callerOf(event, { allowAnonymous });
    const response = await handleApiRequest(getBroker(), {
      ...(caller ? { caller } : {}),
      routeKey: event.routeKey as never,
      method: event.requestContext.http.method,
      path: event.requestContext.http.path,
      headers: event.headers ?? {},
      ...(event.pathParameters ? { pathParameters: event.pathParameters } : {}),
      rawPath: event.rawPath,
      rawQuery: event.rawQueryString ?? "",
      ...(event.body !== undefined ? bodies(event.body, event.isBase64Encoded) : {}),
      ...(audit ? { audit } : {}),
    });
    logger.info("request served", { routeKey: event.routeKey, status: response.statusCode });
    return response;
  }
}

/** The preflight policy of the broker's connections (the stack computes the gateway's the same way). */
function corsPolicyOf(broker: Broker) {
  return corsPolicy(
    broker
      .listConnections()
      .map((c) => broker.connection(c.name))
      .filter((c) => c !== undefined),
  );
}

/** API Gateway base64-encodes bodies it does not take for text; the proxy needs the bytes. */
function bodies(body: string, base64: boolean): { body: string; rawBody: Buffer } {
  const rawBody = Buffer.from(body, base64 ? "base64" : "utf8");
  return { body: base64 ? rawBody.toString("utf8") : body, rawBody };
}

export const handler = createTokenHandler(brokerFromEnv);

import type { MiddlewareObj } from "@middy/core";
import type { Context } from "aws-lambda";
import type { EmfMetrics } from "./emf-metrics.ts";
import type { Logger } from "./logger.ts";

/** Adds the invocation's context keys (request id, function, cold start) to every log line. */
export function injectLambdaContext(logger: Logger): MiddlewareObj<unknown, unknown, Error, Context> {
  return { name: "injectLambdaContext", before: (request) => logger.addContext(request.context) };
}

/** Writes the invocation's metrics when it ends, answered or failed. */
export function publishMetrics(metrics: EmfMetrics): MiddlewareObj<unknown, unknown, Error, Context> {
  const publish = () => metrics.publishStoredMetrics();
  return { name: "publishMetrics", after: publish, onError: publish };
}

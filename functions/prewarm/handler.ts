import middy from "@middy/core";
import type { Context, ScheduledEvent } from "aws-lambda";
import type { Broker } from "../../lib/broker.ts";
import { logger } from "../../lib/observability/logger.ts";
import { metrics } from "../../lib/observability/metrics.ts";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { prewarm, type PrewarmSummary } from "../../lib/prewarm.ts";
import { brokerFromEnv } from "../../lib/runtime/broker-from-env.ts";
import { invocationDeadline, runWithDeadline } from "../../lib/runtime/invocation-deadline.ts";

/**
 * Scheduled prewarm (EventBridge). Returns the per-connection summary rather than throwing on a
 * failed connection: a thrown error would make EventBridge retry every connection; failures are
 * counted in the PrewarmFailed metric, which the stack alarms on.
 * BROKER_PREWARM_WINDOW_SECONDS (default 600): refresh what expires within it.
 */
export function createPrewarmHandler(getBroker: () => Broker, env: NodeJS.ProcessEnv = process.env) {
  const windowMs = Number(env.BROKER_PREWARM_WINDOW_SECONDS ?? 600) * 1000;
  const concurrency = Number(env.BROKER_PREWARM_CONCURRENCY ?? 4);
  return middy<ScheduledEvent, PrewarmSummary, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler((_event, context) =>
      runWithDeadline(invocationDeadline(context), () => prewarm(getBroker(), { windowMs, concurrency })),
    );
}

export const handler = createPrewarmHandler(brokerFromEnv);

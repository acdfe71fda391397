import middy from "@middy/core";
import type { Context, ScheduledEvent } from "aws-lambda";
import type { Broker } from "../../lib/broker.ts";
import { logger } from "../../lib/observability/logger.ts";
import { metrics } from "../../lib/observability/metrics.ts";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { prewarm, type PrewarmSummary } from "../../lib/prewarm.ts";
import { brokerFromEnv } from "../../lib/runtime/broker-from-env.ts";
import { type Settings, settingsFromEnv } from "../../lib/runtime/settings.ts";
import { invocationDeadline, runWithDeadline } from "../../lib/runtime/invocation-deadline.ts";

/**
 * Scheduled prewarm (EventBridge). Returns the per-connection summary rather than throwing on a
 * failed connection: a thrown error would make EventBridge retry every connection; failures are
 * counted in the PrewarmFailed metric, which the stack alarms on.
 * Settings: BROKER_PREWARM_WINDOW_SECONDS (refresh what expires within it), BROKER_PREWARM_CONCURRENCY.
 */
export function createPrewarmHandler(
  getBroker: () => Broker,
  settings: Pick<Settings, "prewarm"> = settingsFromEnv(),
) {
  const { windowMs, concurrency } = settings.prewarm;
  return middy<ScheduledEvent, PrewarmSummary, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler((_event, context) =>
      runWithDeadline(invocationDeadline(context), () => prewarm(getBroker(), { windowMs, concurrency })),
    );
}

export const handler = createPrewarmHandler(brokerFromEnv);

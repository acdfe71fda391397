import { Logger } from "@aws-lambda-powertools/logger";
import { redactReplacer } from "./redact.ts";

/**
 * The one structured logger: AWS Lambda Powertools' Logger (its settings: AWS_LAMBDA_LOG_LEVEL over
 * POWERTOOLS_LOG_LEVEL over LOG_LEVEL, POWERTOOLS_SERVICE_NAME, POWERTOOLS_DEV; TRACE to CRITICAL;
 * Error, BigInt and circular values serialized; per-invocation context, concurrent invocations
 * included). Log names, hosts, statuses and durations; never a secret, token, signature,
 * Authorization header or upstream body (BrokerError messages are written to be safe). Every line
 * still passes through the redaction replacer, in case one does.
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "token-broker",
  jsonReplacerFn: redactReplacer,
});

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
// The service name is Powertools' own POWERTOOLS_SERVICE_NAME: the stack sets it per stage, the
// local entry points to "token-broker".
export const logger = new Logger({ jsonReplacerFn: redactReplacer });

import { Logger } from "@aws-lambda-powertools/logger";
import { redactReplacer } from "./redact.ts";

/**
 * The one structured logger. Log names, hosts, statuses and durations; never a secret, token,
 * signature, Authorization header or upstream body (BrokerError messages are written to be safe).
 * Every line still passes through the redaction replacer, in case one does.
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "token-broker",
  jsonReplacerFn: redactReplacer,
});

import { Logger } from "@aws-lambda-powertools/logger";

/**
 * The one structured logger. Log names, hosts, statuses and durations; never a secret, token,
 * signature, Authorization header or upstream body (BrokerError messages are written to be safe).
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "token-broker" });

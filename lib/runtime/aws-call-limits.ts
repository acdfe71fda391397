/**
 * Bounds on every AWS call the broker makes (DynamoDB, Secrets Manager, KMS). Each answers in
 * milliseconds; a service that stalls (rather than erroring) must not hold callers until the
 * Lambda timeout: past these, the call fails like any error of that service, and the broker
 * falls back as it does for one (the token table: serve without it).
 */
export const AWS_CALL_LIMITS = {
  /** Per attempt: TCP and TLS connect. */
  connectionTimeoutMs: 500,
  /** Per attempt: from sending the request to the whole answer. */
  requestTimeoutMs: 1_000,
  /** Attempts per call, the SDK's retry included. */
  maxAttempts: 2,
} as const;

/** SDK client settings carrying AWS_CALL_LIMITS; spread first, then anything specific. */
export function boundedAwsClient(limits: { requestTimeoutMs?: number } = {}) {
  return {
    maxAttempts: AWS_CALL_LIMITS.maxAttempts,
    requestHandler: {
      connectionTimeout: AWS_CALL_LIMITS.connectionTimeoutMs,
      requestTimeout: limits.requestTimeoutMs ?? AWS_CALL_LIMITS.requestTimeoutMs,
      // Without it the SDK only warns when the request timeout passes, and keeps waiting.
      throwOnRequestTimeout: true,
    },
  };
}

import { InvokeStore } from "@aws/lambda-invoke-store";

/**
 * Serve concurrent requests in one process as Lambda Managed Instances do: each invocation gets
 * its own context (the runtime's InvokeStore), so Powertools keeps one invocation's keys and
 * request id apart from another's. The local gateway runs every request inside it once set up.
 */
export async function scopeInvocationsLikeLambda(maxConcurrency = 64): Promise<void> {
  process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= String(maxConcurrency);
  const store = await InvokeStore.getInstanceAsync(true);
  (globalThis as { awslambda?: { InvokeStore?: unknown } }).awslambda = { InvokeStore: store };
}

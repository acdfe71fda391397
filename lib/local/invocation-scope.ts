import { InvokeStore } from "@aws/lambda-invoke-store";

/**
 * Serve concurrent requests in one process as Lambda Managed Instances do: each invocation gets
 * its own context (the runtime's InvokeStore), so Powertools keeps one invocation's keys and
 * request id apart from another's. The local gateway runs every request inside it once set up.
 * Powertools scopes its context only when AWS_LAMBDA_MAX_CONCURRENCY is set, as Lambda does for
 * such instances: the entry point sets it.
 */
export async function scopeInvocationsLikeLambda(): Promise<void> {
  const store = await InvokeStore.getInstanceAsync(true);
  (globalThis as { awslambda?: { InvokeStore?: unknown } }).awslambda = { InvokeStore: store };
}

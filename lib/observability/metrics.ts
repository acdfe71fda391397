import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { logger } from "./logger.ts";

/** The CloudWatch namespace, fixed here because the stack's alarms and dashboard read it. */
export const METRICS_NAMESPACE = "TokenBroker";

/**
 * Broker metrics: AWS Lambda Powertools' Metrics (CloudWatch EMF; its own POWERTOOLS_SERVICE_NAME
 * and POWERTOOLS_METRICS_DISABLED), published by the handlers' logMetrics middleware. Names are
 * the stable contract the stack's alarms and dashboard use.
 */

export const metrics = new Metrics({
  // The alarms read this namespace; the service dimension is POWERTOOLS_SERVICE_NAME (see logger.ts).
  namespace: METRICS_NAMESPACE,
  // Its own warnings as structured lines of ours; an invocation without a metric (a health check, a
  // refused origin) is normal here, not a warning on every such request.
  logger: {
    debug: (message: string) => logger.debug(message),
    info: (message: string) => logger.info(message),
    warn: (message: string) =>
      message.startsWith("No application metrics") ? logger.debug(message) : logger.warn(message),
    error: (message: string) => logger.error(message),
  },
});
export const METRIC = {
  /** A credential minted locally (static, signed-jwt). */
  minted: "CredentialMinted",
  cacheHitMemory: "CacheHitMemory",
  cacheHitShared: "CacheHitShared",
  /** A token obtained from the upstream (exchange or refresh). */
  upstreamRefresh: "UpstreamRefresh",
  /** A refresh that failed; whether or not a still-valid token could be served instead. */
  refreshFailure: "RefreshFailure",
  /** The upstream refused a refresh token (the chain was dead); a full exchange followed. */
  refreshRejected: "RefreshTokenRejected",
  /** DynamoDB unreachable, throttling or failing: the broker degraded to in-process caching. */
  sharedCacheError: "SharedCacheError",
  /** A refresh result could not be stored because another instance took the lease over. */
  leaseLost: "LeaseLost",
  /**
   * A lease was taken over from a holder that never stored nor released (it died mid-refresh): its
   * refresh token was treated as spent and a full exchange followed.
   */
  leaseTakenOver: "LeaseTakenOver",
  prewarmRefreshed: "PrewarmRefreshed",
  prewarmFailed: "PrewarmFailed",
  /** With a `connection` dimension: the upstream rejected the connection's credentials themselves. */
  credentialsRejected: "CredentialsRejected",
  /** With a `connection` dimension: any other failure to obtain the connection's token. */
  connectionFailure: "ConnectionFailure",
  /** A caller's rejected-token report caused a refresh. */
  forcedRefresh: "ForcedRefresh",
  /** A request forwarded by the proxy (whatever the upstream answered). */
  proxyRequest: "ProxyRequest",
  proxyUpstream2xx: "ProxyUpstream2xx",
  proxyUpstream3xx: "ProxyUpstream3xx",
  proxyUpstream4xx: "ProxyUpstream4xx",
  proxyUpstream5xx: "ProxyUpstream5xx",
  /** Credential plus upstream call(s), as the proxy saw them. */
  proxyLatency: "ProxyLatency",
} as const;

export function countMetric(name: (typeof METRIC)[keyof typeof METRIC], value = 1): void {
  metrics.addMetric(name, MetricUnit.Count, value);
}

/** A count with the connection as a dimension, so alarms and dashboards can name it. */
export function countConnectionMetric(
  connection: string,
  name: (typeof METRIC)["credentialsRejected" | "connectionFailure"],
): void {
  const single = metrics.singleMetric();
  single.addDimension("connection", connection);
  single.addMetric(name, MetricUnit.Count, 1);
}

export function proxyLatencyMetric(ms: number): void {
  metrics.addMetric(METRIC.proxyLatency, MetricUnit.Milliseconds, ms);
}

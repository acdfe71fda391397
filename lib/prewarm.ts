import type { Broker } from "./broker.ts";
import { toBrokerError } from "./errors.ts";
import { logger } from "./observability/logger.ts";
import { countMetric, METRIC } from "./observability/metrics.ts";

export interface PrewarmOptions {
  /**
   * Refresh tokens (and refresh tokens) with less than this left: at least the schedule interval
   * plus the refresh skew, so no caller meets an expired token between two runs.
   */
  windowMs: number;
  /** Connections refreshed at once. */
  concurrency?: number;
}

export interface PrewarmResult {
  connection: string;
  outcome: "refreshed" | "fresh" | "failed";
  expiresAt?: string;
  /** Problem type and detail of a failure (safe to log: BrokerError messages hold no secrets). */
  problemType?: string;
  detail?: string;
  durationMs: number;
}

export interface PrewarmSummary {
  refreshed: number;
  fresh: number;
  failed: number;
  results: PrewarmResult[];
}

/**
 * Refreshes every prewarm-enabled connection whose token is near expiry, a few at a time. One
 * failing connection never stops the others. Safe to run concurrently with itself: refreshes go
 * through the same cache leases as requests, and an upstream cooldown is honoured, not retried.
 */
export async function prewarm(broker: Broker, options: PrewarmOptions): Promise<PrewarmSummary> {
  const names = broker.prewarmConnections();
  const results: PrewarmResult[] = [];
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const name = names[next++] as string;
      results.push(await prewarmOne(broker, name, options.windowMs));
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, names.length) }, worker));
  results.sort((a, b) => a.connection.localeCompare(b.connection));
  const summary = {
    refreshed: results.filter((r) => r.outcome === "refreshed").length,
    fresh: results.filter((r) => r.outcome === "fresh").length,
    failed: results.filter((r) => r.outcome === "failed").length,
    results,
  };
  countMetric(METRIC.prewarmRefreshed, summary.refreshed);
  countMetric(METRIC.prewarmFailed, summary.failed);
  logger.info("prewarm finished", { ...summary });
  return summary;
}

async function prewarmOne(broker: Broker, connection: string, windowMs: number): Promise<PrewarmResult> {
  const started = broker.now();
  try {
    const credential = await broker.getCredential(connection, { minRemainingMs: windowMs });
    return {
      connection,
      outcome: credential.source === "upstream" ? "refreshed" : "fresh",
      expiresAt: new Date(credential.expiresAt).toISOString(),
      durationMs: broker.now() - started,
    };
  } catch (error) {
    const problem = toBrokerError(error);
    logger.warn("prewarm failed for a connection", {
      connection,
      problemType: problem.type,
      detail: problem.message,
    });
    return {
      connection,
      outcome: "failed",
      problemType: problem.type,
      detail: problem.message,
      durationMs: broker.now() - started,
    };
  }
}

import { redactText, registerSensitive, trackedSensitiveCount } from "../lib/observability/redact.ts";
import { summarize, type Latency } from "./stats.ts";

export interface RedactionResult {
  registrations: number;
  trackedBefore: number;
  trackedAfter: number;
  heapGrowthMiB: number;
  /** Redacting one representative log line (µs), before and after the long run. */
  lineBefore: Latency;
  lineAfter: Latency;
}

/**
 * A long-lived container: every minted header and every token is registered for redaction. The
 * registry must stay bounded (count and memory), and the cost of redacting a log line with it.
 */
export function redactionGrowth(registrations: number): RedactionResult {
  const line = JSON.stringify({
    level: "INFO",
    message: "request served",
    connection: "demo-signed",
    routeKey: "POST /v1/connections/{name}/token",
    status: 200,
    requestId: "6f1c0d5e-2b7a-4c1e-9a51-0e5b8f3d2c11",
    upstream: "api.vendor.example.com",
  });
  const time = () => {
    const samples: number[] = [];
    for (let i = 0; i < 2_000; i++) {
      const t = performance.now();
      redactText(line);
      samples.push((performance.now() - t) * 1000);
    }
    return summarize(samples);
  };
  for (let i = 0; i < 20; i++) registerSensitive(`bench-secret-field-${i}-0123456789`, { lasting: true });
  // Values of the same shape before and after: only the number of registrations differs.
  for (let i = 0; i < 1_000; i++) registerSensitive(`eyJhbGciOiJIUzI1NiJ9.bench-warmup-${i}.signature`);
  const trackedBefore = trackedSensitiveCount();
  time(); // warm-up: the JIT, not the registry, would otherwise make the difference
  const lineBefore = time();
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  for (let i = 0; i < registrations; i++)
    registerSensitive(`eyJhbGciOiJIUzI1NiJ9.bench-minted-${i}.signature`);
  globalThis.gc?.();
  const heapGrowthMiB = Math.round(((process.memoryUsage().heapUsed - heapBefore) / 2 ** 20) * 10) / 10;
  return {
    registrations,
    trackedBefore,
    trackedAfter: trackedSensitiveCount(),
    heapGrowthMiB,
    lineBefore,
    lineAfter: time(),
  };
}

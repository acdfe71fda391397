/** Latency summary in milliseconds. */
export interface Latency {
  n: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return {
    n: sorted.length,
    p50: round(at(0.5)),
    p99: round(at(0.99)),
    max: round(sorted.at(-1) as number),
    mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
  };
}

/** Runs `fn` `total` times with at most `concurrency` in flight; returns per-call latencies (ms). */
export async function measure(
  total: number,
  concurrency: number,
  fn: () => Promise<unknown>,
): Promise<number[]> {
  const samples: number[] = [];
  let started = 0;
  const worker = async () => {
    while (started < total) {
      started++;
      const t0 = performance.now();
      await fn();
      samples.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return samples;
}

/**
 * Alternates `a` and `b` (a, b, a, b...) `total` times each after `warmup` rounds; returns both
 * series of latencies (ms). For ratios between two paths that share a server and a JIT.
 */
export async function interleave(
  total: number,
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
  warmup = 500,
): Promise<[number[], number[]]> {
  for (let i = 0; i < warmup; i++) {
    await a();
    await b();
  }
  const sa: number[] = [];
  const sb: number[] = [];
  for (let i = 0; i < total; i++) {
    let t0 = performance.now();
    await a();
    sa.push(performance.now() - t0);
    t0 = performance.now();
    await b();
    sb.push(performance.now() - t0);
  }
  return [sa, sb];
}

export function ratio(a: number, b: number): number {
  return Math.round((a / b) * 100) / 100;
}

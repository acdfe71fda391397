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
 * Alternates `a` and `b` `total` times each after `warmup` rounds, the order swapped every round
 * (a b, b a, ...) so that neither always runs right after the other; returns both series of
 * latencies (ms). For ratios between two paths that share a server and a JIT.
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
  const timed = async (fn: () => Promise<unknown>, into: number[]) => {
    const t0 = performance.now();
    await fn();
    into.push(performance.now() - t0);
  };
  for (let i = 0; i < total; i++) {
    if (i % 2 === 0) {
      await timed(a, sa);
      await timed(b, sb);
    } else {
      await timed(b, sb);
      await timed(a, sa);
    }
  }
  return [sa, sb];
}

export function ratio(a: number, b: number): number {
  return Math.round((a / b) * 100) / 100;
}

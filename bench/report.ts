import type { ColdStartResult } from "./cold-start.ts";
import type { ProxyResult } from "./proxy.ts";
import { type Latency, ratio } from "./stats.ts";
import type { RedactionResult } from "./redaction.ts";
import type { ThroughputResult } from "./throughput.ts";
import type { UpstreamLoadResult } from "./upstream-load.ts";
import type { WarmPathResult } from "./warm-path.ts";

export interface BenchResults {
  header: {
    date: string;
    commit: string;
    node: string;
    cpu: string;
    cores: number;
    memoryGiB: number;
    durationSeconds: number;
  };
  warmPath: WarmPathResult;
  proxy: ProxyResult;
  upstreamLoad: UpstreamLoadResult;
  coldStart: ColdStartResult;
  throughput: ThroughputResult;
  redaction: RedactionResult;
}

const row = (name: string, l: Latency, base?: Latency) =>
  `| ${name} | ${l.n} | ${l.p50} | ${l.p99} | ${l.max} | ${base ? `${ratio(l.p50, base.p50)}x` : "1x"} | ${base ? `${ratio(l.p99, base.p99)}x` : "1x"} |`;
const kb = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;

/** The figures issue 14 set goals for: cold start at the SDK floor, a shared-cache hit at GetItem's. */
export function goals(r: BenchResults): { name: string; value: number; target: number }[] {
  const token = r.coldStart.functions.find((f) => f.name === "token");
  return [
    {
      name: "token function init vs the SDK-clients-only bundle (section 4)",
      value: token?.initVsBaseline ?? Infinity,
      target: 1.1,
    },
    {
      name: "DynamoDB-hit latency vs raw GetItem, p50 (section 1)",
      value: ratio(r.warmPath.dynamoDbHit.p50, r.warmPath.rawGetItem.p50),
      target: 1.2,
    },
    { name: "same, p99", value: ratio(r.warmPath.dynamoDbHit.p99, r.warmPath.rawGetItem.p99), target: 1.5 },
  ];
}

export function renderMarkdown(r: BenchResults): string {
  const { header: h, warmPath: w, proxy: p, upstreamLoad: u, coldStart: c, throughput: t, redaction: d } = r;
  const proxyRow = (name: string, pair: ProxyResult["cached"]) =>
    `| ${name} | ${pair.direct.p50} | ${pair.proxied.p50} | +${Math.round((pair.proxied.p50 - pair.direct.p50) * 1000) / 1000} | ${ratio(pair.proxied.p50, pair.direct.p50)}x | ${pair.direct.p99} | ${pair.proxied.p99} | ${ratio(pair.proxied.p99, pair.direct.p99)}x |`;
  return `# Benchmark results

Reproduce: \`npm run bench\` (writes this file and \`results.json\`). Every ratio compares two
figures measured in the same run on the same machine.

- date ${h.date}, commit \`${h.commit}\`, Node ${h.node}
- ${h.cpu}, ${h.cores} cores, ${h.memoryGiB} GiB; run took ${h.durationSeconds} s

| goal | this run | target | met |
|---|---|---|---|
${goals(r)
  .map((g) => `| ${g.name} | ${g.value}x | <= ${g.target}x | ${g.value <= g.target ? "yes" : "**no**"} |`)
  .join("\n")}

## 1. Warm path (handler latency, ms)

Upstream token endpoint on 127.0.0.1 answering after ${w.upstreamDelayMs} ms. Broker rows invoke the
token Lambda handler (middy, logger, problem/CORS middlewares) sequentially; the ratio column is
p50 against the raw DynamoDB \`GetItem\` of the same item. The DynamoDB-hit and raw \`GetItem\` rows are
measured interleaved (one of each in turn, which goes first swapped every round, after a warm-up of
both), so both meet the same server and JIT state.

| path | requests | p50 | p99 | max | p50 vs GetItem | p99 vs GetItem |
|---|---|---|---|---|---|---|
${row("broker, in-process cache hit", w.memoryHit, w.rawGetItem)}
${row("broker, DynamoDB Local hit", w.dynamoDbHit, w.rawGetItem)}
${row("baseline: raw GetItem (consistent read)", w.rawGetItem)}
${row("broker DynamoDB hit, of which: opening the sealed token fields (AES-256-GCM, cached data key)", w.unseal, w.rawGetItem)}
${row(`baseline: naive handler (secret read + upstream call per request, concurrency ${w.naive.concurrency})`, w.naive, w.rawGetItem)}

Naive p50 / broker in-process hit p50: **${ratio(w.naive.p50, w.memoryHit.p50)}x**; naive p50 / broker
DynamoDB hit p50: **${ratio(w.naive.p50, w.dynamoDbHit.p50)}x**.

## 2. Proxy overhead (in-process, ms)

The token handler serving \`GET .../proxy/api/items\` (${p.requests} sequential requests) against
calling the same 127.0.0.1 upstream directly with the same credential headers, same run. Goal: the
proxy adds under 1 ms p50.

| connection | direct p50 | proxied p50 | added p50 | p50 ratio | direct p99 | proxied p99 | p99 ratio |
|---|---|---|---|---|---|---|---|
${proxyRow("cached token (client credentials, cache hit)", p.cached)}
${proxyRow("minted (an x-signature per request)", p.minted)}

## 3. Upstream load

${u.concurrentRequests} concurrent requests per token lifetime, spread over ${u.instances} broker instances
(separate in-process caches, one DynamoDB Local table), across ${u.tokenLifetimes} token lifetimes.

| | upstream token calls |
|---|---|
| physical limit (one per lifetime) | ${u.physicalLimit} |
| broker | ${u.brokerUpstreamCalls} (failed requests: ${u.failures}) |
| naive baseline | ${u.naiveUpstreamCalls} |

The broker made **${ratio(u.naiveUpstreamCalls, u.brokerUpstreamCalls)}x** fewer upstream calls than the naive handler.

## 4. Cold start

Bundled exactly as deployed (\`infra/bundling.ts\`: esbuild, minified ESM, code splitting, no
source maps). Init: the time to import the bundle in a fresh Node process (the files read at init:
\`index.mjs\` and the chunks it imports statically). ${c.baseline.initMsSamples} rounds, one process
per bundle in turn; "vs baseline" is the median over rounds of the bundle's time divided by the
baseline's in the same round. Baseline: a bundle that only imports the AWS SDK clients the broker
uses (DynamoDB, Secrets Manager, KMS), built the same way.

| bundle | read at init | all files | init (ms) | init vs baseline | largest contributors at init |
|---|---|---|---|---|---|
${[c.baseline, c.baselineWithoutKms, ...c.functions]
  .map(
    (b) =>
      `| ${b.name} | ${kb(b.initBytes)} | ${kb(b.totalBytes)} | ${b.initMsMedian} | **${b.initVsBaseline}x** | ${b.top
        .slice(0, 4)
        .map((m) => `${m.module} ${kb(m.bytes)}`)
        .join(", ")} |`,
  )
  .join("\n")}
| token, the same code as one file (no code splitting) | ${kb(c.singleFile.initBytes)} | ${kb(c.singleFile.initBytes)} | ${c.singleFile.initMsMedian} | ${c.singleFile.initVsBaseline}x | |

Read only when used, never at init, in the token function (bytes at init / in the chunk that loads
them): ${(c.functions.find((f) => f.name === "token")?.deferred ?? [])
    .map((d) => `${d.module} ${kb(d.atInit)} / ${kb(d.later)}`)
    .join(", ")}. The EventBridge client is read by the first lifecycle event a process publishes
(with the shared cache's chunk, one dynamic entry for both): a request that publishes nothing never
reads it.

Token init against the floor without KMS (DynamoDB and Secrets Manager clients only):
**${ratio(c.functions[0]?.initVsBaseline ?? 0, c.baselineWithoutKms.initVsBaseline)}x** (ratio of the two paired medians).

Cold request: a fresh process importing the bundle and answering its first request with the deployed
cache setting (the shared table on DynamoDB Local, token fields sealed), against a baseline bundle
importing the same SDK clients and answering once (for the exchanged connection: after one
consistent GetItem on the same table). Interleaved and paired as above.

| first request | token function (ms) | baseline (ms) | ratio |
|---|---|---|---|
${c.coldRequests.map((r) => `| ${r.name} | ${r.brokerMsMedian} | ${r.baselineMsMedian} | **${r.ratio}x** |`).join("\n")}

## 5. Throughput (local server, cache hits)

autocannon in a separate process, ${t.connections} connections, ${t.durationSeconds} s, \`POST /v1/connections/bench/token\`
with a caller JWT verified on every request, against a bare \`node:http\` server returning a constant body.

| server | req/s | p50 (ms) | p99 (ms) | errors | non-2xx |
|---|---|---|---|---|---|
| broker (local gateway + token handler) | ${t.broker.requestsPerSecond} | ${t.broker.latencyP50Ms} | ${t.broker.latencyP99Ms} | ${t.broker.errors} | ${t.broker.non2xx} |
| baseline: bare node:http | ${t.bareHttpServer.requestsPerSecond} | ${t.bareHttpServer.latencyP50Ms} | ${t.bareHttpServer.latencyP99Ms} | ${t.bareHttpServer.errors} | ${t.bareHttpServer.non2xx} |

Broker throughput is **${ratio(t.broker.requestsPerSecond, t.bareHttpServer.requestsPerSecond)}x** the bare server's.

## 6. Redaction registry under a long run

A long-lived container registers every minted header and token for redaction: ${d.registrations}
registrations after the first ${d.trackedBefore} tracked values. The registry keeps secret fields
and the most recent per-request values only.

| figure | before | after |
|---|---|---|
| values tracked | ${d.trackedBefore} | ${d.trackedAfter} |
| redacting one log line, p50 (µs) | ${d.lineBefore.p50} | ${d.lineAfter.p50} (**${ratio(d.lineAfter.p50, d.lineBefore.p50)}x**) |
| redacting one log line, p99 (µs) | ${d.lineBefore.p99} | ${d.lineAfter.p99} |
| heap growth over the run (MiB) | | ${d.heapGrowthMiB} |
`;
}

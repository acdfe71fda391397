/**
 * `npm run bench`: measures the broker against baselines taken in the same run, and writes
 * bench/results/results.json and bench/results/results.md. Not part of `npm test`.
 */
// npm run bench sets POWERTOOLS_LOG_LEVEL=ERROR and POWERTOOLS_METRICS_DISABLED=true: the loggers
// are built at import, before any code here could set them.
import { execSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { localDynamoDbClient, startDynamoDbLocal } from "../lib/local/dynamodb-local.ts";
import { coldStart } from "./cold-start.ts";
import { proxyOverhead } from "./proxy.ts";
import { redactionGrowth } from "./redaction.ts";
import { SECRETS, slowTokenServer } from "./fixtures.ts";
import { goals, renderMarkdown } from "./report.ts";
import { throughput } from "./throughput.ts";
import { upstreamLoad } from "./upstream-load.ts";
import { warmPath } from "./warm-path.ts";

const UPSTREAM_DELAY_MS = 50;
const started = Date.now();
const secretsFile = join(mkdtempSync(join(tmpdir(), "bench-")), "secrets.json");
writeFileSync(secretsFile, JSON.stringify(SECRETS));

const ddb = await startDynamoDbLocal();
const client = localDynamoDbClient(ddb.endpoint);
const upstream = await slowTokenServer(UPSTREAM_DELAY_MS);
const step = (name: string) =>
  process.stderr.write(`[bench] ${name} (${Math.round((Date.now() - started) / 1000)} s)\n`);
try {
  step("warm path");
  const warm = await warmPath(client, upstream.url, secretsFile, 10_000, UPSTREAM_DELAY_MS);
  step("proxy overhead");
  const proxy = await proxyOverhead(upstream.url, secretsFile, 3_000);
  step("upstream load");
  const load = await upstreamLoad(client, upstream, secretsFile, {
    instances: 4,
    requests: 1_000,
    lifetimeSeconds: 300,
  });
  step("cold start");
  const cold = await coldStart(30, { client, endpoint: ddb.endpoint });
  step("throughput");
  const tput = await throughput(upstream.url, secretsFile, 50, 10);
  step("redaction registry under a long run");
  const redaction = redactionGrowth(200_000);
  const commit = (() => {
    try {
      return execSync("git rev-parse --short HEAD", { stdio: ["ignore", "pipe", "ignore"] })
        .toString()
        .trim();
    } catch {
      return "unknown";
    }
  })();
  const results = {
    header: {
      date: new Date().toISOString(),
      commit,
      node: process.version,
      cpu: cpus()[0]?.model ?? "unknown",
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      durationSeconds: Math.round((Date.now() - started) / 1000),
    },
    warmPath: warm,
    proxy,
    upstreamLoad: load,
    coldStart: cold,
    throughput: tput,
    redaction,
  };
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/results.json", `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync("bench/results/results.md", renderMarkdown(results));
  for (const g of goals(results)) {
    process.stderr.write(
      `[bench] ${g.value <= g.target ? "met" : "NOT MET"}: ${g.name}: ${g.value}x (<= ${g.target}x)\n`,
    );
  }
  step("done: bench/results/results.md");
} finally {
  client.destroy();
  await upstream.close();
  await ddb.stop();
}

import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { build, type Metafile } from "esbuild";
import { BUNDLE_BANNER, BUNDLE_MAIN_FIELDS, BUNDLE_TARGET } from "../infra/bundling.ts";
import { resolvedConfigOf } from "../lib/local/config-env.ts";

export interface BundleReport {
  name: string;
  bytes: number;
  /** Largest contributors (package or source folder) in output bytes. */
  top: { module: string; bytes: number }[];
  initMsMedian: number;
  initMsSamples: number;
  /** Fresh process: import plus the first answer (a minted credential for the token function). */
  coldRequestMsMedian?: number;
}

export interface ColdStartResult {
  baseline: BundleReport;
  functions: BundleReport[];
}

const WORK = resolve(".tmp/bench-bundles");

/** The same esbuild settings CDK uses for the functions (infra/bundling.ts), plus a metafile. */
async function bundle(name: string, entry: string): Promise<{ file: string; metafile: Metafile }> {
  const outfile = join(WORK, name, "index.mjs");
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: BUNDLE_TARGET,
    mainFields: BUNDLE_MAIN_FIELDS,
    banner: { js: BUNDLE_BANNER },
    minify: true,
    metafile: true,
    logLevel: "warning",
  });
  return { file: outfile, metafile: result.metafile };
}

function contributors(metafile: Metafile): { module: string; bytes: number }[] {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const pkg =
        /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path.split("/").slice(0, 2).join("/");
      totals.set(pkg, (totals.get(pkg) ?? 0) + input.bytesInOutput);
    }
  }
  return [...totals]
    .map(([module, bytes]) => ({ module, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 6);
}

/** Runs `script` in `runs` fresh Node processes; the median of the milliseconds each prints. */
function medianOfRuns(script: string, env: NodeJS.ProcessEnv, runs: number): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      env: { ...process.env, POWERTOOLS_METRICS_DISABLED: "true", ...env },
    });
    samples.push(Number(out.toString()));
  }
  samples.sort((a, b) => a - b);
  return Math.round((samples[Math.floor(samples.length / 2)] as number) * 100) / 100;
}

/** Module initialization in a fresh Node process: time to import the bundle, median of `runs`. */
function initTime(file: string, runs: number): number {
  const script = `const t0 = performance.now(); await import(${JSON.stringify(`file://${file}`)}); process.stdout.write(String(performance.now() - t0));`;
  return medianOfRuns(script, {}, runs);
}

/**
 * A fresh process importing the bundle and serving its first request: for the token function a
 * seed-002 credential (minted, secrets from the local file, in-process cache), so work moved from
 * init to the first request is counted too. Median of `runs`.
 */
function coldRequestTime(file: string, runs: number): number {
  const event = {
    version: "2.0",
    routeKey: "POST /v1/connections/{name}/token",
    rawPath: "/v1/connections/demo-signed/token",
    rawQueryString: "",
    headers: {},
    pathParameters: { name: "demo-signed" },
    requestContext: {
      http: { method: "POST", path: "/v1/connections/demo-signed/token" },
      requestId: "cold",
      routeKey: "POST /v1/connections/{name}/token",
      authorizer: { jwt: { claims: { sub: "bench", scope: "broker/token" }, scopes: ["broker/token"] } },
    },
    isBase64Encoded: false,
  };
  const script = [
    "const t0 = performance.now();",
    `const { handler } = await import(${JSON.stringify(`file://${file}`)});`,
    `const response = await handler(${JSON.stringify(event)}, { awsRequestId: "cold", functionName: "token", getRemainingTimeInMillis: () => 10000 });`,
    "if (response.statusCode !== 200) throw new Error(String(response.statusCode) + ' ' + response.body);",
    "process.stdout.write(String(performance.now() - t0));",
  ].join("\n");
  return medianOfRuns(
    script,
    {
      BROKER_CONFIG_RESOLVED: resolvedConfigOf("examples/broker.config.json"),
      BROKER_SECRETS: `file:${resolve("examples/local-secrets.json")}`,
      BROKER_CACHE: "memory",
      POWERTOOLS_LOG_LEVEL: "ERROR",
    },
    runs,
  );
}

export async function coldStart(runs: number): Promise<ColdStartResult> {
  mkdirSync(join(WORK, "baseline"), { recursive: true });
  const baselineEntry = join(WORK, "baseline-entry.mjs");
  // The floor: a handler that only imports the AWS SDK clients the broker uses.
  writeFileSync(
    baselineEntry,
    [
      'import { DynamoDBClient } from "@aws-sdk/client-dynamodb";',
      'import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";',
      "export const clients = [DynamoDBClient, SecretsManagerClient];",
      "export const handler = async () => ({ statusCode: 200, body: '{}' });",
    ].join("\n"),
  );
  const report = async (name: string, entry: string, coldRequest: boolean): Promise<BundleReport> => {
    const { file, metafile } = await bundle(name, entry);
    const bytes = Object.values(metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
    return {
      name,
      bytes,
      top: contributors(metafile),
      initMsMedian: initTime(file, runs),
      initMsSamples: runs,
      ...(coldRequest ? { coldRequestMsMedian: coldRequestTime(file, runs) } : {}),
    };
  };
  return {
    baseline: await report("baseline-sdk-clients-only", baselineEntry, true),
    functions: [
      await report("token", "functions/token/handler.ts", true),
      await report("prewarm", "functions/prewarm/handler.ts", false),
    ],
  };
}

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
  /** Median over rounds of this bundle's init divided by the baseline's in the same round. */
  initVsBaseline: number;
  initMsSamples: number;
  /** Fresh process: import plus the first answer (a minted credential for the token function). */
  coldRequestMsMedian?: number;
  coldRequestVsBaseline?: number;
}

export interface ColdStartResult {
  /** The floor: a bundle importing only the AWS SDK clients the broker uses. */
  baseline: BundleReport;
  /** The floor before token sealing made KMS one of those clients (DynamoDB, Secrets Manager). */
  baselineWithoutKms: BundleReport;
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

/**
 * Runs each script in `runs` fresh Node processes, interleaved (one process per script in turn,
 * the order reversed every round) so that a slower or faster spell of the machine falls on every
 * bundle alike. Per script: the median of the milliseconds it prints, and the median over rounds
 * of its time divided by the first script's time in the same round (a paired ratio, steadier than
 * a ratio of medians on a machine whose speed drifts).
 */
function interleaved(
  scripts: string[],
  env: NodeJS.ProcessEnv,
  runs: number,
): { msMedian: number; ratioMedian: number }[] {
  const samples = scripts.map(() => [] as number[]);
  for (let round = 0; round < runs; round++) {
    const order = scripts.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) {
      const out = execFileSync(process.execPath, ["--input-type=module", "-e", scripts[i] as string], {
        env: { ...process.env, POWERTOOLS_METRICS_DISABLED: "true", ...env },
      });
      samples[i]?.push(Number(out.toString()));
    }
  }
  const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] as number;
  const first = samples[0] as number[];
  return samples.map((list) => ({
    msMedian: Math.round(median(list) * 100) / 100,
    ratioMedian: Math.round(median(list.map((ms, round) => ms / (first[round] as number))) * 1000) / 1000,
  }));
}

/** Module initialization in a fresh Node process: time to import the bundle. */
function initScript(file: string): string {
  return `const t0 = performance.now(); await import(${JSON.stringify(`file://${file}`)}); process.stdout.write(String(performance.now() - t0));`;
}

/**
 * A fresh process importing the bundle and serving its first request: for the token function a
 * seed-002 credential (minted, secrets from the local file), so work moved from init to the first
 * request is counted too. The cache setting is the deployed one (the shared table, here never
 * reached: a minted credential does not use it), so building the broker for it is counted as well.
 */
function coldRequestScript(file: string): string {
  // The baselines answer any event with 200 and `{}`.
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
  return [
    "const t0 = performance.now();",
    `const { handler } = await import(${JSON.stringify(`file://${file}`)});`,
    `const response = await handler(${JSON.stringify(event)}, { awsRequestId: "cold", functionName: "token", getRemainingTimeInMillis: () => 10000 });`,
    "if (response.statusCode !== 200) throw new Error(String(response.statusCode) + ' ' + response.body);",
    "process.stdout.write(String(performance.now() - t0));",
  ].join("\n");
}

const COLD_REQUEST_ENV = {
  BROKER_CONFIG_RESOLVED: resolvedConfigOf("examples/broker.config.json"),
  BROKER_SECRETS: `file:${resolve("examples/local-secrets.json")}`,
  BROKER_CACHE: "dynamodb:bench-cold-start-never-reached",
  BROKER_CACHE_KEY: "kms:arn:aws:kms:eu-west-1:123456789012:key/bench-never-called",
  AWS_REGION: "eu-west-1",
  POWERTOOLS_LOG_LEVEL: "ERROR",
};

const SDK_CLIENTS = {
  DynamoDBClient: "@aws-sdk/client-dynamodb",
  SecretsManagerClient: "@aws-sdk/client-secrets-manager",
  KMSClient: "@aws-sdk/client-kms",
};

/** A handler that only imports the given AWS SDK clients and answers `{}`. */
function baselineEntry(name: string, clients: (keyof typeof SDK_CLIENTS)[]): string {
  const entry = join(WORK, `${name}-entry.mjs`);
  writeFileSync(
    entry,
    [
      ...clients.map((c) => `import { ${c} } from "${SDK_CLIENTS[c]}";`),
      `export const clients = [${clients.join(", ")}];`,
      "export const handler = async () => ({ statusCode: 200, body: '{}' });",
    ].join("\n"),
  );
  return entry;
}

export async function coldStart(runs: number): Promise<ColdStartResult> {
  mkdirSync(WORK, { recursive: true });
  const bundles = [
    {
      name: "baseline-sdk-clients-only",
      entry: baselineEntry("baseline", Object.keys(SDK_CLIENTS) as never),
    },
    {
      name: "baseline-without-kms",
      entry: baselineEntry("baseline-without-kms", ["DynamoDBClient", "SecretsManagerClient"]),
    },
    { name: "token", entry: "functions/token/handler.ts", coldRequest: true },
    { name: "prewarm", entry: "functions/prewarm/handler.ts" },
  ];
  const built = await Promise.all(bundles.map((b) => bundle(b.name, b.entry)));
  const init = interleaved(
    built.map((b) => initScript(b.file)),
    {},
    runs,
  );
  // Cold request: the token function against the floor answering once.
  const [baselineCold, tokenCold] = interleaved(
    [coldRequestScript(built[0]!.file), coldRequestScript(built[2]!.file)],
    COLD_REQUEST_ENV,
    runs,
  );
  const reports = bundles.map((b, i): BundleReport => {
    const { metafile } = built[i]!;
    return {
      name: b.name,
      bytes: Object.values(metafile.outputs).reduce((sum, o) => sum + o.bytes, 0),
      top: contributors(metafile),
      initMsMedian: init[i]!.msMedian,
      initVsBaseline: init[i]!.ratioMedian,
      initMsSamples: runs,
      ...(i === 0 ? { coldRequestMsMedian: baselineCold!.msMedian, coldRequestVsBaseline: 1 } : {}),
      ...(b.coldRequest
        ? { coldRequestMsMedian: tokenCold!.msMedian, coldRequestVsBaseline: tokenCold!.ratioMedian }
        : {}),
    };
  });
  const [baseline, baselineWithoutKms, ...functions] = reports as [
    BundleReport,
    BundleReport,
    ...BundleReport[],
  ];
  return { baseline, baselineWithoutKms, functions };
}

import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Metafile } from "esbuild";
import { bundleFunction } from "../infra/bundling.ts";
import { Broker } from "../lib/broker.ts";
import { ensureTokenTable } from "../lib/local/dynamodb-table.ts";
import { DynamoDbTokenStore } from "../lib/cache/dynamodb-token-store.ts";
import { localDataKeys, TokenSealer } from "../lib/cache/token-sealer.ts";
import { parseResolvedConfig } from "../lib/config/resolved-config.ts";
import { resolvedConfigOf } from "../lib/local/config-env.ts";
import { CachedSecretSource } from "../lib/secrets/cached-secret-source.ts";
import { localFileSecrets } from "../lib/secrets/local-file-secrets.ts";
import { AUDIT_SINK } from "./fixtures.ts";

export interface BundleReport {
  name: string;
  /** Bytes a cold start reads: index.mjs and the chunks it imports statically. */
  initBytes: number;
  /** Every output file, including chunks read only when used. */
  totalBytes: number;
  /** Largest contributors (package or source folder) to the bytes read at init. */
  top: { module: string; bytes: number }[];
  initMsMedian: number;
  /** Median over rounds of this bundle's init divided by the baseline's in the same round. */
  initVsBaseline: number;
  initMsSamples: number;
  /** Packages the broker loads only when used: their bytes at init (0 expected) and in later chunks. */
  deferred: { module: string; atInit: number; later: number }[];
}

/** What a cold start must not read: each is loaded by the first request that needs it. */
const DEFERRED = [
  "@aws-sdk/client-eventbridge", // the first lifecycle event
  "@aws-sdk/client-dynamodb", // the first shared-cache read
  "@aws-sdk/client-kms", // the first sealed token
  "jose", // the first JWT signed
];

export interface ColdRequest {
  name: string;
  brokerMsMedian: number;
  baselineMsMedian: number;
  /** Median over rounds of the broker's time divided by the baseline's in the same round. */
  ratio: number;
}

export interface ColdStartResult {
  /** The floor: a bundle importing only the AWS SDK clients the broker uses (and nothing else). */
  baseline: BundleReport;
  /** The floor before token sealing made KMS one of those clients (DynamoDB, Secrets Manager). */
  baselineWithoutKms: BundleReport;
  functions: BundleReport[];
  coldRequests: ColdRequest[];
  /** The token function bundled without code splitting (one file), for comparison. */
  singleFile: { initBytes: number; initMsMedian: number; initVsBaseline: number };
}

const WORK = resolve(".tmp/bench-bundles");
const TABLE = "bench-cold-start";
const LOCAL_CACHE_KEY = Buffer.alloc(32, 11);

/** Bundled exactly as deployed (infra/bundling.ts), into a clean directory. */
function bundle(name: string, entry: string) {
  const outdir = join(WORK, name);
  rmSync(outdir, { recursive: true, force: true });
  const { metafile, loadedAtInit } = bundleFunction(entry, outdir);
  return { file: join(outdir, "index.mjs"), metafile, loadedAtInit };
}

function contributors(metafile: Metafile, outputs: string[]): { module: string; bytes: number }[] {
  const totals = new Map<string, number>();
  for (const output of outputs) {
    for (const [path, input] of Object.entries(metafile.outputs[output]?.inputs ?? {})) {
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
 * A fresh process importing the bundle and answering its first request (API Gateway's event for
 * `POST /v1/connections/<name>/token`, the caller already verified), so that work moved from init
 * to the first request is counted too. The baselines answer any event with 200.
 */
function coldRequestScript(file: string, connection: string): string {
  const path = `/v1/connections/${connection}/token`;
  const event = {
    version: "2.0",
    routeKey: "POST /v1/connections/{name}/token",
    rawPath: path,
    rawQueryString: "",
    headers: {},
    pathParameters: { name: connection },
    requestContext: {
      http: { method: "POST", path },
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

const SDK_CLIENTS = {
  DynamoDBClient: "@aws-sdk/client-dynamodb",
  SecretsManagerClient: "@aws-sdk/client-secrets-manager",
  KMSClient: "@aws-sdk/client-kms",
};

/**
 * A handler that only imports the given AWS SDK clients; it answers `{}`, after one GetItem on
 * the cold-start table if `getItemKey` is given (the floor of a request served from the table).
 */
function baselineEntry(name: string, clients: (keyof typeof SDK_CLIENTS)[], getItemKey?: string): string {
  const entry = join(WORK, `${name}-entry.mjs`);
  mkdirSync(WORK, { recursive: true });
  writeFileSync(
    entry,
    [
      ...clients.map((c) => `import { ${c} } from "${SDK_CLIENTS[c]}";`),
      ...(getItemKey ? ['import { GetItemCommand } from "@aws-sdk/client-dynamodb";'] : []),
      `export const clients = [${clients.join(", ")}];`,
      "export const handler = async () => {",
      ...(getItemKey
        ? [
            `  const { Item } = await new DynamoDBClient({}).send(new GetItemCommand({ TableName: ${JSON.stringify(TABLE)}, Key: { pk: { S: ${JSON.stringify(getItemKey)} } }, ConsistentRead: true }));`,
            "  if (!Item) throw new Error('no item');",
          ]
        : []),
      "  return { statusCode: 200, body: '{}' };",
      "};",
    ].join("\n"),
  );
  return entry;
}

/** Stores a sealed, current token for `connection` in the table, as another instance would have. */
async function seedSharedToken(client: DynamoDBClient, config: string, connection: string): Promise<string> {
  await ensureTokenTable(client, TABLE);
  const secretsFile = resolve("examples/local-secrets.json");
  const broker = new Broker({
    config: parseResolvedConfig(config, "examples/broker.config.json"),
    secrets: new CachedSecretSource(localFileSecrets(secretsFile), { maxAgeMs: 0 }),
  });
  const key = broker.itemKeyOf(connection) as string;
  const secretId = broker.connection(connection)?.secret as string;
  const store = new DynamoDbTokenStore(client, TABLE, new TokenSealer(localDataKeys(LOCAL_CACHE_KEY)));
  const now = Date.now();
  await store.acquireLease(key, "bench", now, 25_000);
  await store.save(
    key,
    {
      accessToken: `bench-cold-start-${now}`,
      expiresAt: now + 3_600_000,
      obtainedAt: now,
      secretVersion: (await localFileSecrets(secretsFile)(secretId)).versionId,
    },
    "bench",
    0,
  );
  return key;
}

export async function coldStart(
  runs: number,
  shared: { client: DynamoDBClient; endpoint: string },
): Promise<ColdStartResult> {
  const config = resolvedConfigOf("examples/broker.config.json");
  const exchanged = "demo-ledger";
  const itemKey = await seedSharedToken(shared.client, config, exchanged);
  const bundles = [
    {
      name: "baseline-sdk-clients-only",
      entry: baselineEntry("baseline", Object.keys(SDK_CLIENTS) as never),
    },
    {
      name: "baseline-without-kms",
      entry: baselineEntry("baseline-without-kms", ["DynamoDBClient", "SecretsManagerClient"]),
    },
    { name: "token", entry: "functions/token/handler.ts" },
    { name: "prewarm", entry: "functions/prewarm/handler.ts" },
  ].map((b) => ({ ...b, ...bundle(b.name, b.entry) }));
  const getItemBaseline = bundle(
    "baseline-get-item",
    baselineEntry("baseline-get-item", Object.keys(SDK_CLIENTS) as never, itemKey),
  );
  const singleFile = singleFileBundle("functions/token/handler.ts");

  const init = interleaved(
    [...bundles.map((b) => initScript(b.file)), initScript(singleFile.file)],
    {},
    runs,
  );
  const [baseline, token] = [bundles[0]!, bundles[2]!];
  const deployedEnv = {
    BROKER_CONFIG_RESOLVED: config,
    BROKER_SECRETS: `file:${resolve("examples/local-secrets.json")}`,
    BROKER_CACHE: `dynamodb:${TABLE}`,
    BROKER_SEALING_KEY: `local:${LOCAL_CACHE_KEY.toString("base64")}`,
    AWS_ENDPOINT_URL_DYNAMODB: shared.endpoint,
    AWS_REGION: "eu-west-1",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    POWERTOOLS_LOG_LEVEL: "ERROR",
    // As deployed: events to EventBridge (its client loads with the first event, none here) and
    // an audit line per request (to nowhere: the bench prints its own output).
    BROKER_EVENTS: "eventbridge:default",
    BROKER_AUDIT: AUDIT_SINK,
  };
  const coldRequest = (name: string, connection: string, floor: string): ColdRequest => {
    const [b, t] = interleaved(
      [coldRequestScript(floor, connection), coldRequestScript(token.file, connection)],
      deployedEnv,
      runs,
    );
    return { name, baselineMsMedian: b!.msMedian, brokerMsMedian: t!.msMedian, ratio: t!.ratioMedian };
  };
  const reports = bundles.map((b, i): BundleReport => ({
    name: b.name,
    initBytes: sizeOf(b.loadedAtInit),
    totalBytes: Object.values(b.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0),
    top: contributors(b.metafile, b.loadedAtInit),
    deferred: deferredOf(b.metafile, b.loadedAtInit),
    initMsMedian: init[i]!.msMedian,
    initVsBaseline: init[i]!.ratioMedian,
    initMsSamples: runs,
  }));
  const [baselineReport, baselineWithoutKms, ...functions] = reports as [
    BundleReport,
    BundleReport,
    ...BundleReport[],
  ];
  return {
    baseline: baselineReport,
    baselineWithoutKms,
    functions,
    coldRequests: [
      coldRequest("minted credential (API key + JWT signing, `demo-signed`)", "demo-signed", baseline.file),
      coldRequest(
        "exchanged token from the shared table (Ledger Enterprise, `demo-ledger`; floor: one GetItem)",
        exchanged,
        getItemBaseline.file,
      ),
    ],
    singleFile: {
      initBytes: singleFile.bytes,
      initMsMedian: init.at(-1)!.msMedian,
      initVsBaseline: init.at(-1)!.ratioMedian,
    },
  };
}

function deferredOf(metafile: Metafile, atInit: string[]): BundleReport["deferred"] {
  const init = new Set(atInit);
  return DEFERRED.map((module) => {
    const counts = { module, atInit: 0, later: 0 };
    for (const [output, { inputs }] of Object.entries(metafile.outputs)) {
      for (const [path, input] of Object.entries(inputs)) {
        if (!path.includes(`node_modules/${module}/`)) continue;
        counts[init.has(output) ? "atInit" : "later"] += input.bytesInOutput;
      }
    }
    return counts;
  }).filter((d) => d.atInit + d.later > 0);
}

function sizeOf(files: string[]): number {
  return files.reduce((sum, file) => sum + statSync(file).size, 0);
}

/** The token function as one file (no code splitting): for comparison. */
function singleFileBundle(entry: string): { file: string; bytes: number } {
  const dir = join(WORK, "token-single-file");
  rmSync(dir, { recursive: true, force: true });
  const { metafile } = bundleFunction(entry, dir, { splitting: false });
  return { file: join(dir, "index.mjs"), bytes: sizeOf(Object.keys(metafile.outputs)) };
}

import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

/**
 * The packages as another project gets them: `npm run build` packs them, and fresh projects in a
 * temporary directory outside this tree install the tarballs from there, as an app would from a
 * registry (dependencies from npm, through the local cache when it has them).
 */
const root = resolve(import.meta.dirname, "../..");
const node24 = join(root, "node_modules", "node", "bin", "node");
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
const esbuild = join(root, "node_modules", ".bin", "esbuild");
const rootPackage = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  devDependencies: Record<string, string>;
};
const version = (name: string) => {
  const installed = JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")) as {
    version: string;
  };
  return installed.version;
};

// Node 24 first on PATH: npx starts the CLI through its `#!/usr/bin/env node` line.
const bin = mkdtempSync(join(tmpdir(), "node24-"));
symlinkSync(node24, join(bin, "node"));
const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}`, npm_config_fund: "false" };

let sizes: {
  packages: { broker: { file: string; files: string[] }; client: { file: string; files: string[] } };
};

function run(command: string, args: string[], cwd: string, extraEnv: Record<string, string> = {}) {
  const result = spawnSync(command, args, { cwd, env: { ...env, ...extraEnv }, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function npmInstall(cwd: string, specs: string[]) {
  const result = run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", ...specs], cwd);
  expect(result.status, result.stderr).toBe(0);
}

function project(name: string, packageJson: Record<string, unknown> = {}): string {
  const dir = join(mkdtempSync(join(tmpdir(), `consumer-${name}-`)), name);
  mkdirSync(dir);
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name, private: true, type: "module", ...packageJson }, null, 2),
  );
  return dir;
}

beforeAll(() => {
  execFileSync(node24, [join(root, "bin", "build.ts")], { cwd: root, env, stdio: "pipe" });
  sizes = JSON.parse(readFileSync(join(root, ".packages", "sizes.json"), "utf8")) as typeof sizes;
}, 180_000);

describe("what ships", () => {
  it("built JavaScript, declarations and the docs: no TypeScript sources, tests, fixtures, benchmarks or secrets", () => {
    for (const { files } of [sizes.packages.broker, sizes.packages.client]) {
      for (const file of files) {
        expect(file, file).toMatch(/^(dist\/|docs\/|package\.json$|README\.md$)/);
        expect(file.endsWith(".ts") && !file.endsWith(".d.ts"), file).toBe(false);
        expect(file, file).not.toMatch(/(^|\/)(test|tests|fixtures|bench|examples)\/|local-secrets|\.pem$/);
      }
    }
    expect(sizes.packages.broker.files).toEqual(
      expect.arrayContaining([
        "dist/lib/index.js",
        "dist/lib/index.d.ts",
        "dist/infra/index.js",
        "dist/infra/index.d.ts",
        "dist/bin/broker.js",
        "dist/assets/token/index.mjs",
        "dist/assets/prewarm/index.mjs",
      ]),
    );
    expect(sizes.packages.client.files.sort()).toEqual([
      "dist/broker-client.d.ts",
      "dist/broker-client.js",
      "dist/openapi.d.ts",
      "package.json",
    ]);
  });
});

describe("a CDK app of its own", () => {
  it("installs the tarball, type-checks and synthesizes a TokenBroker with its own connections, cdk-nag clean", () => {
    const dir = project("cdk-consumer");
    npmInstall(dir, [
      sizes.packages.broker.file,
      `aws-cdk-lib@${version("aws-cdk-lib")}`,
      `constructs@${version("constructs")}`,
      `cdk-nag@${version("cdk-nag")}`,
      `@types/node@${rootPackage.devDependencies["@types/node"]}`,
    ]);
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "es2024",
          module: "nodenext",
          moduleResolution: "nodenext",
          strict: true,
          noEmit: true,
          allowImportingTsExtensions: true,
          types: ["node"],
        },
        include: ["*.ts"],
      }),
    );
    writeFileSync(
      join(dir, "app.ts"),
      `import { readFileSync } from "node:fs";
import { App, CfnOutput, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { AwsSolutionsChecks, ServerlessChecks } from "cdk-nag";
import { TokenBroker, type TokenBrokerProps } from "token-broker/cdk";

const app = new App({ outdir: "cdk.out" });
const stack = new Stack(app, "Storefront", { env: { account: "123456789012", region: "eu-west-1" } });
const connections: TokenBrokerProps["connections"] = JSON.parse(process.env.CONNECTIONS ?? "null") ?? {
  connections: {
    payments: {
      preset: "x-signature",
      secret: "storefront/payments",
      access: [{ scopes: ["broker/token"] }],
    },
    catalog: {
      scheme: "oauth2-client-credentials",
      secret: "storefront/catalog",
      tokenUrl: "https://login.example.com/oauth2/token",
      prewarm: true,
      access: [{ scopes: ["broker/token"] }],
      proxy: { baseUrl: "https://catalog.example.com", allow: [{ methods: ["GET"], paths: ["/v2/**"] }] },
    },
  },
};
const broker = new TokenBroker(stack, "Broker", {
  connections,
  auth: { issuer: "https://auth.example.com/", audience: ["storefront"], requiredScopes: ["broker/token"] },
  corsOrigins: ["https://shop.example.com"],
  removalPolicy: RemovalPolicy.DESTROY,
  audit: { retentionDays: 90 },
});
// What users extend is exposed, typed.
broker.tokenFunction.addEnvironment("STOREFRONT", "1");
if (process.env.WILDCARD) broker.tokenFunction.addToRolePolicy(new PolicyStatement({ actions: ["s3:*"], resources: ["*"] }));
new CfnOutput(stack, "BrokerUrl", { value: broker.url });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }), new ServerlessChecks(app, { verbose: true }));
try {
  app.synth();
} catch (error) {
  console.error(String(error));
  process.exit(2);
}
const template = JSON.parse(readFileSync("cdk.out/Storefront.template.json", "utf8"));
const types = Object.values(template.Resources).map((r: any) => r.Type);
console.log(JSON.stringify({ functions: types.filter((t: string) => t === "AWS::Lambda::Function").length, tables: types.filter((t: string) => t === "AWS::DynamoDB::Table").length, outputs: Object.keys(template.Outputs) }));
`,
    );
    const typecheck = run(node24, [tsc, "-p", "."], dir);
    expect(typecheck.status, typecheck.stdout + typecheck.stderr).toBe(0);
    const synth = run(node24, ["app.ts"], dir);
    expect(synth.status, synth.stdout + synth.stderr).toBe(0);
    const summary = JSON.parse(synth.stdout.trim().split("\n").at(-1) ?? "{}") as Record<string, unknown>;
    expect(summary).toMatchObject({ functions: 2, tables: 1 });
    expect(summary.outputs).toEqual(expect.arrayContaining(["BrokerUrl"]));
    // cdk-nag's AwsSolutions and Serverless packs ran, and left no finding unacknowledged.
    const report = JSON.parse(readFileSync(join(dir, "cdk.out", "validation-report.json"), "utf8")) as {
      pluginReports: { pluginName: string; violations: { ruleName: string }[] }[];
    };
    const findings = (r: typeof report) =>
      r.pluginReports.flatMap((p) => p.violations.map((v) => `${p.pluginName} ${v.ruleName}`));
    expect(findings(report)).toEqual([]);
    // ...and the check is live there: a wildcard grant the consumer adds is reported.
    const wildcard = run(node24, ["app.ts"], dir, { WILDCARD: "1" });
    expect(wildcard.status).toBe(2);
    const flagged = JSON.parse(
      readFileSync(join(dir, "cdk.out", "validation-report.json"), "utf8"),
    ) as typeof report;
    expect(findings(flagged)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^AwsSolutions .*IAM5/)]),
    );

    // The token function's asset is the prebuilt bundle plus the resolved config: it serves a
    // request as deployed (memory cache and a secrets file standing in for DynamoDB and AWS).
    const template = JSON.parse(readFileSync(join(dir, "cdk.out", "Storefront.template.json"), "utf8")) as {
      Resources: Record<
        string,
        {
          Type: string;
          Properties: {
            Description?: string;
            Code?: { S3Key?: string };
            Environment?: { Variables?: Record<string, unknown> };
          };
        }
      >;
    };
    const tokenFunction = Object.values(template.Resources).find(
      (r) => r.Type === "AWS::Lambda::Function" && String(r.Properties.Description).endsWith("token API"),
    );
    const asset = join(
      dir,
      "cdk.out",
      `asset.${String(tokenFunction?.Properties.Code?.S3Key).replace(/\.zip$/, "")}`,
    );
    writeFileSync(
      join(dir, "secrets.json"),
      JSON.stringify({
        "storefront/payments": {
          apiKey: "consumer-api-key",
          jwtKey: "consumer-jwt-key-0123456789abcdef-XYZ",
        },
      }),
    );
    const event = JSON.parse(
      readFileSync(join(root, "test", "fixtures", "apigw-v2-token-event.json"), "utf8"),
    );
    event.headers.origin = "https://shop.example.com";
    event.pathParameters.name = "payments";
    event.rawPath = event.requestContext.http.path = "/v1/connections/payments/token";
    writeFileSync(join(dir, "event.json"), JSON.stringify(event));
    writeFileSync(
      join(dir, "invoke.mjs"),
      `const { handler } = await import(process.env.LAMBDA_TASK_ROOT + "/index.mjs");
const event = JSON.parse((await import("node:fs")).readFileSync("event.json", "utf8"));
const context = { awsRequestId: "req-1", functionName: "token", getRemainingTimeInMillis: () => 15000 };
process.stdout.write("RESULT " + JSON.stringify(await handler(event, context)) + "\\n");
`,
    );
    const variables = tokenFunction?.Properties.Environment?.Variables ?? {};
    const served = run(node24, ["invoke.mjs"], dir, {
      ...Object.fromEntries(Object.entries(variables).filter(([, v]) => typeof v === "string")),
      LAMBDA_TASK_ROOT: asset,
      BROKER_CACHE: "memory",
      BROKER_SECRETS: `file:${join(dir, "secrets.json")}`,
      BROKER_AUDIT: `file:${join(dir, "audit.jsonl")}`,
      AWS_REGION: "eu-west-1",
      POWERTOOLS_LOG_LEVEL: "ERROR",
    });
    const answer = JSON.parse(served.stdout.split("RESULT ")[1] ?? "{}") as {
      statusCode?: number;
      body?: string;
    };
    expect(answer.statusCode, served.stdout + served.stderr).toBe(200);
    expect(Object.keys((JSON.parse(answer.body ?? "{}") as { headers: object }).headers)).toEqual([
      "x-api-key",
      "x-signature",
    ]);
    expect(readFileSync(join(dir, "audit.jsonl"), "utf8")).toContain('"decision":"issued"');

    // Bad connections fail the consumer's synth with every path and rule, in one pass.
    const bad = run(node24, ["app.ts"], dir, {
      CONNECTIONS: JSON.stringify({
        connections: {
          plain: { scheme: "oauth2-client-credentials", secret: "s", tokenUrl: "http://10.0.0.1/t" },
          shared: { scheme: "oauth2-client-credentials", secret: "s", tokenUrl: "https://idp.example.com/t" },
        },
      }),
    });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain(
      "connections.plain.tokenUrl: a deployed stage calls upstreams over https only",
    );
    expect(bad.stderr).toMatch(
      /connections\.shared\.delivery: .*configure "proxy", or set "delivery": "headers"/,
    );
  }, 300_000);
});

describe("a browser app of its own", () => {
  it("installs the client tarball, type-checks a use of it in strict mode and bundles it", () => {
    const dir = project("web-consumer");
    npmInstall(dir, [sizes.packages.client.file]);
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "es2022",
          lib: ["es2022", "dom"],
          module: "esnext",
          moduleResolution: "bundler",
          strict: true,
          noEmit: true,
          types: [],
        },
        files: ["main.ts"],
      }),
    );
    writeFileSync(
      join(dir, "main.ts"),
      `import { BrokerClient, BrokerProblemError, type ConnectionSummary, type Credential } from "@token-broker/client";

const broker = new BrokerClient({
  baseUrl: "https://broker.example.com",
  getAccessToken: async () => "caller-token",
});

export async function show(): Promise<string[]> {
  const connections: ConnectionSummary[] = await broker.connections();
  const exposures: ("per-request" | "replayable" | "long-lived" | "shared")[] = connections.map((c) => c.exposure);
  const credential: Credential = await broker.credential("payments");
  const expires: string = credential.expiresAt;
  // @ts-expect-error the contract's types are real: a credential has no "token" field
  void credential.token;
  try {
    const response: Response = await broker.fetch("catalog", "/v2/items");
    return [expires, String(response.status), ...exposures];
  } catch (error) {
    if (error instanceof BrokerProblemError) return [error.type];
    throw error;
  }
}
`,
    );
    const typecheck = run(node24, [tsc, "-p", "."], dir);
    expect(typecheck.status, typecheck.stdout + typecheck.stderr).toBe(0);
    const bundle = run(esbuild, ["main.ts", "--bundle", "--format=esm", "--minify", "--outfile=out.js"], dir);
    expect(bundle.status, bundle.stderr).toBe(0);
    const code = readFileSync(join(dir, "out.js"), "utf8");
    expect(code).toContain("x-broker-proxied");
    expect(code).not.toMatch(/\brequire\(|process\.env/);
  }, 120_000);
});

describe("the CLI with npx", () => {
  it("npx from the tarball: --help, and validate a connections file of its own", () => {
    const dir = project("cli-consumer");
    writeFileSync(
      join(dir, "connections.json"),
      JSON.stringify({
        connections: {
          payments: { preset: "x-signature", secret: "shop/payments", access: [{ scopes: ["x"] }] },
        },
      }),
    );
    const npx = (args: string[]) =>
      run(
        "npx",
        [
          "--yes",
          "--prefer-offline",
          `--package=${sizes.packages.broker.file}`,
          "--",
          "token-broker",
          ...args,
        ],
        dir,
      );
    const help = npx(["--help"]);
    expect(help.status, help.stderr).toBe(0);
    for (const command of ["status", "validate", "token", "prewarm"])
      expect(help.stdout + help.stderr).toContain(command);
    const validate = npx(["validate", "connections.json"]);
    expect(validate.status, validate.stderr).toBe(0);
    expect(validate.stdout).toContain("payments: signed-jwt (preset x-signature), exposure per-request");
    const invalid = npx(["validate", "missing.json"]);
    expect(invalid.status).toBe(1);
    expect(invalid.stderr).toContain("missing.json");
    expect(invalid.stderr).not.toMatch(/\n\s+at /); // one clear line, no stack trace
  }, 180_000);
});

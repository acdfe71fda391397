import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Stack } from "aws-cdk-lib";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import * as iam from "aws-cdk-lib/aws-iam";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { Broker } from "../../lib/broker.ts";
import { ensureTokenTable } from "../../lib/local/dynamodb-table.ts";
import { DynamoDbTokenStore, TABLE_ACTIONS } from "../../lib/cache/dynamodb-token-store.ts";
import { localDataKeys, TokenSealer } from "../../lib/cache/token-sealer.ts";
import { localDynamoDbClient } from "../../lib/local/dynamodb-local.ts";
import { CachedSecretSource } from "../../lib/secrets/cached-secret-source.ts";
import { localFileSecrets } from "../../lib/secrets/local-file-secrets.ts";
import { loadConfigFile } from "../../lib/config/broker-config.ts";
import { ConfigError } from "../../lib/errors.ts";
import { ROUTES } from "../../lib/http/routes.ts";
import { buildApp } from "../../infra/build-app.ts";
import { bundleFunction } from "../../infra/bundling.ts";
import { RESOLVED_CONFIG_FILE } from "../../infra/constructs/broker-function.ts";
import { serializeResolvedConfig } from "../../lib/config/resolved-config.ts";
import { UnknownStageError } from "../../infra/stage-config.ts";
import { AUDIT_FORMAT } from "../../lib/audit/audit-record.ts";

interface Synthesized {
  template: Template;
  outdir: string;
  /** cdk-nag findings left after acknowledgements (AwsSolutions and Serverless packs). */
  violations: { rule: string; path: string }[];
}

/** Synthesizes one stage like `npx cdk synth -c stage=<name>`: real esbuild bundles, cdk-nag on. */
function synth(stage: string, stages = "infra/stages.json", modify?: (stack: Stack) => void): Synthesized {
  const { app, stack } = buildApp({ context: { stage, stages, "aws:cdk:enable-asset-metadata": true } });
  modify?.(stack);
  let violations: Synthesized["violations"] = [];
  try {
    app.synth();
  } catch (error) {
    if (!String(error).includes("validation-report.json")) throw error;
  }
  const report = join(app.outdir, "validation-report.json");
  if (existsSync(report)) {
    const json = JSON.parse(readFileSync(report, "utf8")) as {
      pluginReports: {
        violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
      }[];
    };
    violations = json.pluginReports.flatMap((p) =>
      p.violations.flatMap((v) =>
        v.violatingConstructs.map((c) => ({ rule: v.ruleName, path: c.constructPath })),
      ),
    );
  }
  // Template.fromStack synthesizes again, which throws while findings remain: only when asked.
  return {
    get template() {
      return Template.fromStack(stack);
    },
    violations,
    outdir: app.outdir,
  };
}

const stages = JSON.parse(readFileSync("infra/stages.json", "utf8"));

/** The ConfigError building a stage throws (undefined if it builds). */
function synthError(stage: string, stagesFile: string): ConfigError | undefined {
  try {
    buildApp({ context: { stage, stages: stagesFile } });
  } catch (error) {
    return error as ConfigError;
  }
  return undefined;
}

describe.each(["dev", "prod"])("stage %s", (stageName) => {
  let t: Template;
  let violations: Synthesized["violations"];
  let outdir: string;
  const stage = stages[stageName];
  const production = stageName === "prod";
  const deployedConfig = loadConfigFile(stage.brokerConfig);
  beforeAll(() => {
    ({ template: t, violations, outdir } = synth(stageName));
  }, 120_000);

  it("passes cdk-nag AwsSolutions and Serverless with zero unacknowledged findings", () => {
    expect(violations).toEqual([]);
  });

  it("publishes lifecycle events to the stage's bus: PutEvents on that bus only, from both functions", () => {
    const bus = production ? "platform-events" : "default";
    const statements = (
      Object.values(t.findResources("AWS::IAM::Policy")) as {
        Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } };
      }[]
    ).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const putEvents = statements.filter((s) => JSON.stringify(s.Action).includes("events:"));
    expect(putEvents.length).toBe(2); // token and prewarm functions
    for (const statement of putEvents) {
      expect(statement.Action).toBe("events:PutEvents");
      expect(JSON.stringify(statement.Resource)).toContain(`:event-bus/${bus}`);
      expect(JSON.stringify(statement.Resource)).not.toContain("*");
    }
    t.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          BROKER_EVENTS: `eventbridge:${bus}`,
          BROKER_EXPIRY_WARNING_DAYS: production ? "45" : "30",
        }),
      },
    });
  });

  it("delivers the token function's audit records to their own encrypted bucket, with the stage's retention", () => {
    const retentionDays = production ? 2557 : 400;
    t.hasResourceProperties("AWS::Logs::SubscriptionFilter", {
      FilterPattern: `{ $.audit = "${AUDIT_FORMAT}" }`,
      LogGroupName: { Ref: Match.stringLikeRegexp("^TokenFunctionLogs") },
    });
    t.hasResourceProperties("AWS::KinesisFirehose::DeliveryStream", {
      DeliveryStreamEncryptionConfigurationInput: { KeyType: "CUSTOMER_MANAGED_CMK" },
      ExtendedS3DestinationConfiguration: Match.objectLike({
        EncryptionConfiguration: { KMSEncryptionConfig: Match.anyValue() },
        ProcessingConfiguration: Match.objectLike({ Enabled: true }),
      }),
    });
    const buckets = t.findResources("AWS::S3::Bucket");
    const audit = Object.entries(buckets).find(([id]) => id.startsWith("AuditBucket"))?.[1] as {
      Properties: Record<string, unknown>;
    };
    expect(audit.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" }, BucketKeyEnabled: true },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: "Enabled" },
      LoggingConfiguration: { LogFilePrefix: "audit-bucket/" },
    });
    const [rule] = (audit.Properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    expect(rule).toMatchObject({ ExpirationInDays: retentionDays, Status: "Enabled" });
    if (production) expect(rule?.Transitions).toEqual([{ StorageClass: "GLACIER_IR", TransitionInDays: 90 }]);
  });

  it("has every broker route behind the JWT authorizer with the required scopes; only /health is public", () => {
    for (const routeKey of Object.values(ROUTES)) {
      const isPublic = routeKey === ROUTES.health;
      t.hasResourceProperties("AWS::ApiGatewayV2::Route", {
        RouteKey: routeKey,
        AuthorizationType: isPublic ? "NONE" : "JWT",
        ...(isPublic
          ? {}
          : { AuthorizationScopes: stage.auth.requiredScopes, AuthorizerId: Match.anyValue() }),
      });
    }
    t.resourceCountIs("AWS::ApiGatewayV2::Route", Object.keys(ROUTES).length);
    t.hasResourceProperties("AWS::ApiGatewayV2::Authorizer", {
      AuthorizerType: "JWT",
      IdentitySource: ["$request.header.Authorization"],
      JwtConfiguration: { Issuer: stage.auth.issuer, Audience: stage.auth.audience },
    });
  });

  it("allows exactly the stage's CORS origins, with stage throttling and access logs", () => {
    t.hasResourceProperties("AWS::ApiGatewayV2::Api", {
      Name: `token-broker-${stageName}`,
      CorsConfiguration: Match.objectLike({
        AllowOrigins: stage.corsOrigins,
        // The broker's own, plus what the stage's proxied connections forward.
        AllowHeaders: [
          "authorization",
          "content-type",
          "accept",
          "accept-language",
          "idempotency-key",
          "if-match",
          "if-modified-since",
          "if-none-match",
        ],
        AllowMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        ExposeHeaders: ["retry-after", "www-authenticate", "allow", "etag", "location", "x-broker-proxied"],
      }),
    });
    t.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      StageName: "$default",
      DefaultRouteSettings: {
        ThrottlingRateLimit: stage.throttling.rateLimit,
        ThrottlingBurstLimit: stage.throttling.burstLimit,
      },
      AccessLogSettings: {
        DestinationArn: Match.anyValue(),
        Format: Match.not(Match.stringLikeRegexp("authorization")),
      },
    });
    t.hasOutput("ApiUrl", Match.anyValue());
  });

  it("caches in a pay-per-request table: pk, numeric TTL attribute, customer-managed KMS key, PITR and retention per stage", () => {
    t.hasResource("AWS::DynamoDB::Table", {
      Properties: {
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        BillingMode: "PAY_PER_REQUEST",
        TimeToLiveSpecification: { AttributeName: "ttl", Enabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: "KMS", KMSMasterKeyId: Match.anyValue() },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: production },
        DeletionProtectionEnabled: production,
      },
      DeletionPolicy: production ? "Retain" : "Delete",
      UpdateReplacePolicy: production ? "Retain" : "Delete",
    });
    t.hasResourceProperties("AWS::KMS::Key", { EnableKeyRotation: true });
  });

  it("runs both functions on nodejs24.x / arm64 with JSON logs, tracing and the shared table", () => {
    const functions = t.findResources("AWS::Lambda::Function", { Properties: { Runtime: "nodejs24.x" } });
    expect(Object.keys(functions)).toHaveLength(2);
    for (const fn of Object.values(functions) as { Properties: Record<string, unknown> }[]) {
      expect(fn.Properties).toMatchObject({
        Architectures: ["arm64"],
        Handler: "index.handler",
        TracingConfig: { Mode: "Active" },
        LoggingConfig: expect.objectContaining({ LogFormat: "JSON" }),
        Environment: {
          Variables: expect.objectContaining({
            BROKER_SECRETS: "aws",
            BROKER_CONFIG_RESOLVED_FILE: "broker.config.resolved.json",
            BROKER_CACHE: expect.anything(),
            BROKER_SEALING_KEY: {
              "Fn::Join": ["", ["kms:", { "Fn::GetAtt": [expect.stringMatching(/^TokenTableKey/), "Arn"] }]],
            },
            POWERTOOLS_SERVICE_NAME: `token-broker-${stageName}`,
          }),
        },
      });
    }
  });

  /** The token function's asset directory and its deployed environment (minus CloudFormation references). */
  const tokenFunction = () => {
    const fn = Object.values(t.findResources("AWS::Lambda::Function")).find((r) =>
      String((r as { Properties: { Description: string } }).Properties.Description).includes("token API"),
    ) as {
      Metadata: Record<string, string>;
      Properties: { Environment: { Variables: Record<string, unknown> } };
    };
    return {
      assetDir: join(outdir, fn.Metadata["aws:asset:path"] as string),
      environment: Object.fromEntries(
        Object.entries(fn.Properties.Environment.Variables).filter(([, v]) => typeof v === "string"),
      ) as Record<string, string>,
    };
  };

  /** A local secrets file holding, under the stage's secret id of `connection`, a local demo secret. */
  const stageSecrets = (connection: string, localSecret: string): string => {
    const localSecrets = JSON.parse(readFileSync("examples/local-secrets.json", "utf8"));
    const file = join(mkdtempSync(join(tmpdir(), "stage-secrets-")), "secrets.json");
    writeFileSync(
      file,
      JSON.stringify({
        [deployedConfig.connections.get(connection)?.secret as string]: localSecrets[localSecret],
      }),
    );
    return file;
  };

  type DeployedHandler = (event: unknown) => Promise<{ statusCode: number; body: string }>;

  /**
   * Imports the deployed bundle (a module instance of its own per `instance`) with its deployed
   * environment plus `env`, and hands `use` a handler; the environment is restored afterwards.
   */
  const withDeployedHandler = async (
    instance: string,
    env: Record<string, string>,
    use: (handler: DeployedHandler) => Promise<void>,
  ) => {
    const { assetDir, environment } = tokenFunction();
    const saved = { ...process.env };
    Object.assign(process.env, environment, { LAMBDA_TASK_ROOT: assetDir }, env);
    try {
      const { handler } = (await import(`${join(assetDir, "index.mjs")}?${instance}`)) as {
        handler: (e: unknown, c: unknown) => Promise<{ statusCode: number; body: string }>;
      };
      let request = 0;
      await use((event) =>
        handler(event, {
          awsRequestId: `${instance}-${++request}`,
          functionName: "token",
          getRemainingTimeInMillis: () => 5000,
        }),
      );
    } finally {
      process.env = saved;
    }
  };

  /** API Gateway's event for `POST /v1/connections/<name>/token` by a frontend at the stage's origin. */
  const tokenEvent = (name: string) => {
    const event = JSON.parse(readFileSync("test/fixtures/apigw-v2-token-event.json", "utf8"));
    event.headers.origin = stage.corsOrigins.at(-1);
    event.pathParameters.name = name;
    event.rawPath = event.requestContext.http.path = `/v1/connections/${name}/token`;
    event.requestContext.authorizer.jwt.claims["cognito:groups"] = "[frontend]";
    return event;
  };

  it("bundles a token handler that loads its bundled config and serves a request", async () => {
    // The config as synth validated it: the function loads it without a schema library.
    // Written for a deployed stage: URLs found at run time meet the deployed policy too.
    const bundled = readFileSync(join(tokenFunction().assetDir, RESOLVED_CONFIG_FILE), "utf8");
    expect(bundled).toBe(
      serializeResolvedConfig(loadConfigFile(stage.brokerConfig), { upstreamPolicy: "deployed" }),
    );
    expect(JSON.parse(bundled).upstreamPolicy).toBe("deployed");
    // The stage's secret for the x-signature connection holds the local demo values; in-process cache.
    const secretsFile = stageSecrets("signed", "broker/local/demo-signed");
    await withDeployedHandler(
      "memory",
      { BROKER_SECRETS: `file:${secretsFile}`, BROKER_CACHE: "memory" },
      async (handle) => {
        const event = tokenEvent("signed");
        const response = await handle(event);
        expect(response.statusCode, response.body).toBe(200);
        expect(JSON.parse(response.body).headers["x-api-key"]).toBe("demo-api-key-0001");
        event.headers.origin = "https://evil.example.com";
        expect((await handle(event)).statusCode).toBe(403);
      },
    );
  });

  it("serves an exchanged connection from the shared table: the deployed asset loads its shared-cache chunk", async () => {
    const secretsFile = stageSecrets("ledger", "broker/local/demo-ledger");
    const ledgerSecret = deployedConfig.connections.get("ledger")?.secret as string;
    // A sealed token for the ledger connection, as another instance would have stored it.
    const table = `deployed-asset-${stageName}`;
    const db = localDynamoDbClient(inject("dynamoDbEndpoint"));
    await ensureTokenTable(db, table);
    const localKey = Buffer.alloc(32, 5);
    const store = new DynamoDbTokenStore(db, table, new TokenSealer(localDataKeys(localKey)));
    const cacheKey = new Broker({
      config: deployedConfig,
      secrets: new CachedSecretSource(localFileSecrets(secretsFile), { maxAgeMs: 0 }),
    }).itemKeyOf("ledger") as string;
    const now = Date.now();
    const accessToken = `stored-ledger-token-${stageName}-${now}`;
    await store.acquireLease(cacheKey, "other-instance", now, 25_000);
    const secretVersion = (await localFileSecrets(secretsFile)(ledgerSecret)).versionId;
    await store.save(
      cacheKey,
      { accessToken, expiresAt: now + 600_000, obtainedAt: now, secretVersion },
      "other-instance",
      0,
    );
    db.destroy();
    const env = {
      BROKER_SECRETS: `file:${secretsFile}`,
      BROKER_CACHE: `dynamodb:${table}`,
      BROKER_SEALING_KEY: `local:${localKey.toString("base64")}`,
      AWS_ENDPOINT_URL_DYNAMODB: inject("dynamoDbEndpoint"),
      AWS_REGION: "eu-west-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
    };
    await withDeployedHandler("shared-cache", env, async (handle) => {
      const response = await handle(tokenEvent("ledger"));
      expect(response.statusCode, response.body).toBe(200);
      expect(JSON.stringify(JSON.parse(response.body).headers)).toContain(accessToken);
    });
  });

  it("grants each function exactly the secrets it uses: token all, prewarm only prewarm-enabled ones", () => {
    const secretGrants = (resources: unknown) => JSON.stringify(resources);
    const policies = Object.values(t.findResources("AWS::IAM::Policy")) as {
      Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } };
    }[];
    const getSecret = policies
      .map((p) =>
        p.Properties.PolicyDocument.Statement.find((s) => s.Action === "secretsmanager:GetSecretValue"),
      )
      .filter((s) => s !== undefined)
      .map((s) => [s.Resource].flat());
    expect(getSecret).toHaveLength(2);
    const allSecrets = [...deployedConfig.connections.values()].map((c) => c.secret);
    const [tokenGrant, prewarmGrant] = getSecret.sort((a, b) => b.length - a.length);
    expect(tokenGrant).toHaveLength(allSecrets.length);
    for (const secret of allSecrets) expect(secretGrants(tokenGrant)).toContain(`:secret:${secret}-??????`);
    expect(prewarmGrant).toHaveLength(1);
    expect(secretGrants(prewarmGrant)).toContain(
      `:secret:${deployedConfig.connections.get("ledger")?.secret}-??????`,
    );
    expect(JSON.stringify(policies)).not.toMatch(/secretsmanager:\*|:secret:\*/);
  });

  it("prewarms on an EventBridge schedule at the stage's rate, with retry and dead-letter settings", () => {
    t.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: `rate(${stage.prewarmRateMinutes} minutes)`,
      State: "ENABLED",
      Targets: [
        Match.objectLike({
          Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("^PrewarmFunction"), "Arn"] },
          RetryPolicy: { MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: stage.prewarmRateMinutes * 60 },
          DeadLetterConfig: { Arn: Match.anyValue() },
        }),
      ],
    });
    t.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
      MaximumRetryAttempts: 0,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });

  it("grants the token table's item operations and nothing more; its key only through DynamoDB", () => {
    // The broker functions' policies (the audit trail's Firehose role has its own, tested below).
    const statements = (
      Object.entries(t.findResources("AWS::IAM::Policy")).filter(([id]) => !id.startsWith("Audit")) as [
        string,
        {
          Properties: { PolicyDocument: { Statement: { Action: string | string[]; Condition?: unknown }[] } };
        },
      ][]
    ).flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    const actions = (prefix: string) =>
      [...new Set(statements.flatMap((s) => [s.Action].flat()).filter((a) => a.startsWith(prefix)))].sort();
    expect(actions("dynamodb:")).toEqual([...TABLE_ACTIONS].sort());
    expect(actions("kms:")).toEqual(["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"]);
    // Every KMS statement is conditioned: via DynamoDB (the table's own encryption), or on the
    // encryption context of the broker's data keys (its envelope encryption of token fields).
    for (const statement of statements.filter((s) => [s.Action].flat().some((a) => a.startsWith("kms:")))) {
      const condition = JSON.stringify(statement.Condition);
      expect(
        condition.includes("kms:ViaService") ||
          condition.includes('"kms:EncryptionContext:purpose":"token-broker-cache"'),
      ).toBe(true);
    }
  });

  it("alarms on function errors, throttles and duration, API 5xx, the table, the broker's metrics and the DLQ", () => {
    const alarms = Object.values(t.findResources("AWS::CloudWatch::Alarm")) as {
      Properties: Record<string, unknown>;
    }[];
    const names = alarms.map((a) => a.Properties.MetricName ?? "(math)").sort();
    expect(names).toEqual(
      [
        "5xx",
        "Errors",
        "Errors",
        "PrewarmFailed",
        "RefreshFailure",
        "Throttles",
        "Throttles",
        "SharedCacheError",
        "LeaseLost",
        "Duration",
        "ApproximateNumberOfMessagesVisible",
        "(math)", // table throttles over the broker's operations
        "(math)", // table system errors over the broker's operations
        // One per exchanged connection, named in its description.
        ...[...deployedConfig.connections.values()]
          .filter((c) => c.issuance === "exchanged")
          .map(() => "CredentialsRejected"),
      ].sort(),
    );
    for (const connection of ["ledger", "tokenos"]) {
      const rejected = alarms.find(
        (a) =>
          a.Properties.MetricName === "CredentialsRejected" &&
          JSON.stringify(a.Properties.Dimensions).includes(`"Value":"${connection}"`),
      );
      expect(rejected?.Properties).toMatchObject({
        Namespace: "TokenBroker",
        AlarmDescription: expect.stringContaining(`connection "${connection}"`),
        Dimensions: expect.arrayContaining([{ Name: "connection", Value: connection }]),
      });
    }
    const duration = alarms.find((a) => a.Properties.MetricName === "Duration");
    expect(duration?.Properties).toMatchObject({ ExtendedStatistic: "p99", Threshold: 12_000 });
    const refresh = alarms.find((a) => a.Properties.MetricName === "RefreshFailure");
    expect(refresh?.Properties).toMatchObject({
      Namespace: "TokenBroker",
      Dimensions: [{ Name: "service", Value: `token-broker-${stageName}` }],
    });
    for (const alarm of alarms) {
      if (production) expect(alarm.Properties.AlarmActions).toEqual([stage.alarmTopicArn]);
      else expect(alarm.Properties.AlarmActions).toBeUndefined();
    }
  });
});

describe.each(["dev", "prod"])("stage %s: the operator's dashboard", (stageName) => {
  it("has one dashboard: requests, latency p50/p99, cache levels, upstream calls, failures by connection, proxy classes, 4xx/5xx, prewarm", () => {
    const { template } = synth(stageName);
    const dashboards = Object.values(template.findResources("AWS::CloudWatch::Dashboard")) as {
      Properties: { DashboardName: string; DashboardBody: unknown };
    }[];
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]?.Properties.DashboardName).toBe(`token-broker-${stageName}`);
    const body = JSON.stringify(dashboards[0]?.Properties.DashboardBody);
    for (const needle of [
      "API requests",
      "API latency (ms)",
      "p99",
      "API 4xx / 5xx",
      "CacheHitMemory",
      "CacheHitShared",
      "UpstreamRefresh",
      "Failures by connection",
      "ledger: credentials rejected",
      "tokenos: other failures",
      "ProxyUpstream5xx",
      "PrewarmFailed",
      "SharedCacheError",
    ])
      expect(body, needle).toContain(needle);
  }, 120_000);
});

describe("the table grants: one list for the code, the stack and the tests", () => {
  it("TABLE_ACTIONS is exactly the DynamoDB commands the deployed functions' code sends", () => {
    // Everything under lib/ and functions/ but the local tools (DynamoDB Local setup, CLI).
    const files = [
      ...readdirSync("lib", { recursive: true, encoding: "utf8" }).map((f) => join("lib", f)),
      ...readdirSync("functions", { recursive: true, encoding: "utf8" }).map((f) => join("functions", f)),
    ].filter((f) => f.endsWith(".ts") && !/^lib\/(local|cli)\//.test(f));
    const sent = new Set<string>();
    for (const file of files) {
      const source = readFileSync(file, "utf8");
      if (!source.includes("@aws-sdk/client-dynamodb")) continue;
      for (const [, command] of source.matchAll(/new (\w+)Command\(/g)) sent.add(`dynamodb:${command}`);
    }
    expect([...sent].sort()).toEqual([...TABLE_ACTIONS].sort());
  });
});

describe("the deployed bundles", () => {
  const bundled = (entry: string) => {
    const { metafile, loadedAtInit } = bundleFunction(entry, mkdtempSync(join(tmpdir(), "bundle-")));
    const inputsOf = (outputs: string[]) =>
      outputs.flatMap((o) => Object.keys(metafile.outputs[o]?.inputs ?? {}));
    const builtinsAtInit = loadedAtInit.flatMap((o) =>
      (metafile.outputs[o]?.imports ?? [])
        .filter((i) => i.external && i.kind === "import-statement")
        .map((i) => i.path.replace(/^node:/, "")),
    );
    return { all: inputsOf(Object.keys(metafile.outputs)), atInit: inputsOf(loadedAtInit), builtinsAtInit };
  };

  it.each(["functions/token/handler.ts", "functions/prewarm/handler.ts"])(
    "%s carries no schema library (the config was validated at synth)",
    (entry) => {
      const { all } = bundled(entry);
      expect(all.filter((path) => path.includes("node_modules/zod"))).toEqual([]);
      expect(all.filter((path) => path.endsWith(".schema.ts") || path.includes("lib/presets/"))).toEqual([]);
    },
  );

  it("the token function's cold start reads neither the shared cache (DynamoDB, KMS), the exchanged schemes, EventBridge nor the SDK's unused credential providers", () => {
    const { all, atInit, builtinsAtInit } = bundled("functions/token/handler.ts");
    const lazy = [
      "node_modules/@aws-sdk/client-dynamodb/",
      "node_modules/@aws-sdk/client-kms/",
      "lib/cache/dynamodb-token-store.ts",
      "lib/cache/dynamodb-token-loader.ts",
      "lib/cache/kms-data-keys.ts",
      "node_modules/@aws-sdk/nested-clients/",
      "node_modules/@aws-sdk/credential-provider-sso/",
      "node_modules/@aws-sdk/credential-provider-ini/",
      // jose: read by the first JWT the process signs (a minted credential, a client assertion).
      "node_modules/jose/",
      // EventBridge: read by the first lifecycle event the process publishes.
      "node_modules/@aws-sdk/client-eventbridge/",
      // The exchanged schemes: read with the shared cache, by an exchanged connection's first request.
      "lib/schemes/oauth2-client-credentials.ts",
      "lib/schemes/token-exchange.ts",
    ];
    for (const part of lazy) {
      expect(
        all.some((path) => path.includes(part)),
        part,
      ).toBe(true);
      expect(atInit.filter((path) => path.includes(part))).toEqual([]);
    }
    // An ES module import of node:http loads undici (~25 ms): only lazily loaded chunks may import it.
    expect(builtinsAtInit).not.toContain("http");
    // What every first request needs is read at init.
    for (const part of [
      "node_modules/@aws-sdk/client-secrets-manager/",
      "node_modules/@aws-lambda-powertools/logger/",
      "lib/broker.ts",
    ]) {
      expect(
        atInit.some((path) => path.includes(part)),
        part,
      ).toBe(true);
    }
  });
});

describe("stage variations", () => {
  it("no prewarm-enabled connection: no prewarm function, no schedule; ARN-named secrets granted exactly, KMS via Secrets Manager only", () => {
    const { template: t, violations } = synth("minimal", "test/fixtures/stages.json");
    expect(violations).toEqual([]);
    t.resourceCountIs("AWS::Events::Rule", 0);
    t.resourceCountIs("AWS::Lambda::Function", 1);
    t.resourceCountIs("AWS::SQS::Queue", 0);
    // audit.delivery "logs": the records stay in the function's log group only.
    t.resourceCountIs("AWS::KinesisFirehose::DeliveryStream", 0);
    t.resourceCountIs("AWS::Logs::SubscriptionFilter", 0);
    const statements = (
      Object.values(t.findResources("AWS::IAM::Policy")) as {
        Properties: {
          PolicyDocument: { Statement: { Action: unknown; Resource: unknown; Condition?: unknown }[] };
        };
      }[]
    ).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const getSecret = statements.find((s) => s.Action === "secretsmanager:GetSecretValue");
    expect(JSON.stringify(getSecret?.Resource)).toContain(
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:broker/test/jet-AbCdEf"',
    );
    expect(JSON.stringify(getSecret?.Resource)).toContain(":secret:broker/test/signed-??????");
    const decrypt = statements.find((s) => s.Action === "kms:Decrypt");
    expect(decrypt).toMatchObject({
      Resource: "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555",
      Condition: {
        StringEquals: {
          "kms:ViaService": {
            "Fn::Join": ["", ["secretsmanager.", { Ref: "AWS::Region" }, ".amazonaws.com"]],
          },
        },
      },
    });
  }, 120_000);

  it("the cdk-nag check is live: an unacknowledged wildcard grant is reported", () => {
    const { violations } = synth("minimal", "test/fixtures/stages.json", (stack) => {
      const role = new iam.Role(stack, "Careless", {
        assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      });
      role.addToPolicy(new iam.PolicyStatement({ actions: ["dynamodb:*"], resources: ["*"] }));
    });
    expect(violations).toContainEqual({
      rule: "AwsSolutions-IAM5[Action::dynamodb:*]",
      path: expect.stringContaining("Careless"),
    });
  }, 120_000);

  it("an unknown stage fails with the list of known ones", () => {
    expect(() => buildApp({ context: { stage: "qa" } })).toThrow(
      new UnknownStageError('Unknown stage "qa"; known stages: dev, staging, prod'),
    );
  });

  it("a deployed stage refuses loopback, link-local and plain-http upstreams, naming each field", () => {
    const error = synthError("loopback", "test/fixtures/stages.json");
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.issues.map((i) => i.path)).toEqual([
      "connections.demo-signed.proxy.baseUrl",
      "connections.demo-static.proxy.baseUrl",
      "connections.demo-ledger.baseUrl",
      "connections.demo-ledger.proxy.baseUrl",
      "connections.demo-oauth.tokenUrl",
    ]);
    for (const issue of error?.issues ?? []) expect(issue.message).toContain("cannot call 127.0.0.1");
    // The same file is fine locally, where loopback upstreams are how demos run.
    expect(loadConfigFile("examples/broker.config.json").connections.size).toBeGreaterThan(0);
  });

  it("a deployed stage's connections file fails in one pass: names, schema and URL policy together", () => {
    const error = synthError("mixed", "test/fixtures/stages.json");
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.issues.map((i) => i.path).sort()).toEqual([
      "connections.Bad_Name",
      "connections.loopback.tokenUrl",
      "connections.no-secret.secret",
      "connections.old-default.delivery",
    ]);
    // A config that relied on headers by default for a replayable JWT is told the fix.
    expect(error?.issues.find((i) => i.path === "connections.old-default.delivery")?.message).toMatch(
      /replayable.*configure "proxy", or set "delivery": "headers"/,
    );
  });

  it("a deployed stage with a connection nobody may use (no access) warns at synth, naming it", () => {
    const { stack } = buildApp({ context: { stage: "no-access", stages: "test/fixtures/stages.json" } });
    const warnings = Annotations.fromStack(stack)
      .findWarning("*", Match.anyValue())
      .map((w) => String(w.entry.data));
    expect(warnings.filter((w) => w.includes('has no "access" rules'))).toEqual([
      expect.stringContaining('Connection "forgotten" has no "access" rules'),
    ]);
  });

  it("a bad stage config fails at synth with the path of every bad field", () => {
    const error = synthError("bad", "test/fixtures/bad-stages.json");
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.issues.map((i) => i.path).sort()).toEqual([
      "bad.auth.audience",
      "bad.auth.issuer",
      "bad.corsOrigins.0",
      "bad.logRetentionDays",
    ]);
  });
});

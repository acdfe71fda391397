import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Annotations, CfnOutput, Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import type { HttpApi } from "aws-cdk-lib/aws-apigatewayv2";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as logs from "aws-cdk-lib/aws-logs";
import type * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import type { ConnectionConfig } from "../../lib/config/broker-config.ts";
import { serializeResolvedConfig } from "../../lib/config/resolved-config.ts";
import { ConfigError } from "../../lib/errors.ts";
import { corsPolicy } from "../../lib/http/middleware/cors.ts";
import { deployableConfig, loadDeployableConfig } from "../deployed-upstreams.ts";
import { type StageConfig, stageConfigSchema } from "../stage-config.ts";
import { acknowledge } from "./acknowledge.ts";
import { BrokerApi } from "./broker-api.ts";
import { BrokerAudit } from "./broker-audit.ts";
import { BrokerFunction } from "./broker-function.ts";
import { BrokerMonitoring } from "./broker-monitoring.ts";
import { BrokerPrewarm } from "./broker-prewarm.ts";
import { TokenTable } from "./token-table.ts";

/** Log retention choices CloudWatch Logs offers (days). */
export type LogRetentionDays = 1 | 3 | 5 | 7 | 14 | 30 | 60 | 90 | 180 | 365 | 731;

export interface TokenBrokerProps {
  /**
   * The connections: a connections file's path (relative to the working directory), or the file's
   * content (`{ connections: { ... } }`). Validated at synth, every bad field reported with its path.
   */
  readonly connections: string | { readonly connections: Readonly<Record<string, unknown>> };
  /** Caller JWTs: the HTTP API's JWT authorizer checks issuer, audience, expiry and these scopes. */
  readonly auth: {
    readonly issuer: string;
    readonly audience: readonly string[];
    /** Required on every broker route, so an ID token cannot pass as an access token. */
    readonly requiredScopes: readonly string[];
  };
  /** Exact browser origins (https://host[:port]); never "*": the token routes hand out credentials. */
  readonly corsOrigins: readonly string[];
  /** The API stage's throttling. Default: 50 requests per second, bursts of 100. */
  readonly throttling?: { readonly rateLimit: number; readonly burstLimit: number };
  /** Log retention of the functions and the API's access log. Default: 30 days. */
  readonly logRetentionDays?: LogRetentionDays;
  /** Prewarm schedule interval, 1-60 minutes (only when a connection has `prewarm`). Default: 5. */
  readonly prewarmRateMinutes?: number;
  /** An SNS topic for the alarms; absent: alarms without actions. */
  readonly alarmTopicArn?: string;
  /**
   * RETAIN (default) keeps the table and keys and turns on point-in-time recovery: production.
   * DESTROY is for disposable stages.
   */
  readonly removalPolicy?: RemovalPolicy;
  /** Where audit records are kept (see docs/operations.md#audit-trail). Default: S3, 400 days. */
  readonly audit?: {
    readonly delivery?: "s3" | "logs";
    readonly retentionDays?: number;
    readonly archiveAfterDays?: number;
  };
  /** Lifecycle events (docs/operations.md#lifecycle-events). Default: the default bus, 30 days. */
  readonly events?: { readonly busName?: string; readonly expiryWarningDays?: number };
  /** ARNs of customer-managed KMS keys that encrypt the connections' secrets, if any. */
  readonly secretsKmsKeyArns?: readonly string[];
  /** Names the service in descriptions, logs and metrics: `token-broker-<name>`. Default: the stack's name. */
  readonly name?: string;
}

/** Covers an upstream timeout (5 s) with retries while staying under API Gateway's 30 s. */
const TOKEN_TIMEOUT = Duration.seconds(15);

const DEFAULTS = { throttling: { rateLimit: 50, burstLimit: 100 }, logRetentionDays: 30 } as const;

/**
 * The token broker: its HTTP API (JWT authorizer on every broker route), the token and prewarm
 * functions, the token table and its key, the schedule, the audit trail, lifecycle events, alarms
 * and the dashboard. The props are validated at synth in one pass with the connections; a bad field
 * fails with its path. What users extend is exposed: `api`, `tokenFunction`, `prewarmFunction`,
 * `table`, `tableKey`, `auditBucket`.
 */
export class TokenBroker extends Construct {
  readonly api: HttpApi;
  /** The API's base URL. */
  readonly url: string;
  readonly table: dynamodb.Table;
  readonly tableKey: kms.Key;
  readonly tokenFunction: lambda.Function;
  /** Only when some connection has `prewarm`. */
  readonly prewarmFunction?: lambda.Function;
  /** Only with audit delivery "s3". */
  readonly auditBucket?: s3.Bucket;
  readonly #tokens: TokenTable;
  #busArn = "";

  constructor(scope: Construct, id: string, props: TokenBrokerProps) {
    super(scope, id);
    const { stage, brokerConfig } = validated(props);
    const stageName = props.name ?? Stack.of(this).stackName;
    const production = stage.removalPolicy === "retain";
    const removalPolicy = production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const logRetention = stage.logRetentionDays as logs.RetentionDays;
    const service = props.name ? `token-broker-${props.name}` : stageName;
    const connections = [...brokerConfig.connections.values()];
    const prewarmed = connections.filter((c) => "prewarm" in c && c.prewarm);
    // Deny by default is right, but a connection nobody may use is almost always a forgotten line.
    for (const connection of connections.filter((c) => c.access === undefined)) {
      Annotations.of(this).addWarningV2(
        "token-broker:connection-without-access",
        `Connection "${connection.name}" has no "access" rules: no caller can obtain it in stage ${stageName}. Add "access" (claims, scopes or groups) to the connection.`,
      );
    }
    // What the functions load: the config as validated here (no schema library in their bundles).
    const resolvedConfigPath = join(
      mkdtempSync(join(tmpdir(), "broker-config-")),
      "broker.config.resolved.json",
    );
    writeFileSync(resolvedConfigPath, serializeResolvedConfig(brokerConfig, { upstreamPolicy: "deployed" }));

    // --- Token table and its key.
    const tokens = new TokenTable(this, "TokenTable", { service, production, removalPolicy, stageName });
    this.table = tokens.table;
    const tableKey = (this.tableKey = tokens.key);
    this.#tokens = tokens;

    // --- Lifecycle events: the stage's bus (or the default one), PutEvents on it only.
    const busName = stage.events.busName ?? "default";
    this.#busArn = Stack.of(this).formatArn({
      service: "events",
      resource: "event-bus",
      resourceName: busName,
    });

    const commonEnvironment = {
      BROKER_EVENTS: `eventbridge:${busName}`,
      BROKER_EXPIRY_WARNING_DAYS: String(stage.events.expiryWarningDays),
      BROKER_CACHE: `dynamodb:${this.table.tableName}`,
      // The broker seals token fields under data keys from the table's key (envelope encryption).
      BROKER_SEALING_KEY: `kms:${tableKey.keyArn}`,
      POWERTOOLS_SERVICE_NAME: service,
      POWERTOOLS_LOG_LEVEL: "INFO",
    };

    // --- Token function: 512 MB buys the CPU share that keeps JWT signing and cold starts short;
    // 15 s covers an upstream timeout (5 s) with retries while staying under API Gateway's 30 s.
    const token = new BrokerFunction(this, "TokenFunction", {
      handler: "token",
      description: `${service}: token API`,
      memorySize: 512,
      timeout: TOKEN_TIMEOUT,
      resolvedConfigPath,
      // The handler enforces the same origins as the gateway's CORS (browsers only honour CORS).
      environment: { ...commonEnvironment, BROKER_CORS_ORIGINS: stage.corsOrigins.join(",") },
      logRetention,
      removalPolicy,
    });
    this.#grantBrokerAccess(token, connections, stage);
    acknowledge(token.function, [
      {
        id: "Serverless-LambdaDLQ",
        reason:
          "Invoked synchronously by API Gateway: failures are answered to the caller, there is nothing to dead-letter.",
      },
    ]);

    // --- The audit trail: the token function's audit records, kept apart with their own retention.
    if (stage.audit.delivery === "s3") {
      const audit = new BrokerAudit(this, "Audit", {
        service,
        logGroups: [token.logGroup],
        retentionDays: stage.audit.retentionDays,
        ...(stage.audit.archiveAfterDays !== undefined
          ? { archiveAfterDays: stage.audit.archiveAfterDays }
          : {}),
        removalPolicy,
      });
      this.auditBucket = audit.bucket;
      new CfnOutput(this, "AuditBucketName", { value: audit.bucket.bucketName });
    }

    // --- HTTP API with the caller JWT authorizer on every broker route.
    const api = new BrokerApi(this, "Api", {
      service,
      stageName,
      stage,
      cors: corsPolicy(connections),
      handler: token.function,
      logRetention,
      removalPolicy,
    });
    this.api = api.api;
    this.url = api.api.apiEndpoint;
    this.tokenFunction = token.function;
    const apiStage = api.stage;

    // --- Prewarm: only when some connection asks for it, invoked directly by the schedule.
    const prewarming =
      prewarmed.length > 0
        ? new BrokerPrewarm(this, "Prewarm", {
            service,
            rateMinutes: stage.prewarmRateMinutes,
            connections: prewarmed,
            resolvedConfigPath,
            environment: commonEnvironment,
            logRetention,
            removalPolicy,
          })
        : undefined;
    if (prewarming) this.#grantBrokerAccess(prewarming.function, prewarmed, stage);
    const prewarm = prewarming?.function;
    if (prewarm) this.prewarmFunction = prewarm.function;
    const deadLetters = prewarming?.deadLetters;

    // --- Alarms and the dashboard.
    new BrokerMonitoring(this, "Monitoring", {
      service,
      ...(stage.alarmTopicArn ? { alarmTopicArn: stage.alarmTopicArn } : {}),
      table: this.table,
      apiStage,
      token,
      tokenTimeout: TOKEN_TIMEOUT,
      ...(prewarm && deadLetters ? { prewarm: { fn: prewarm, deadLetters } } : {}),
      connections,
    });

    new CfnOutput(this, "ApiUrl", { value: this.api.apiEndpoint, description: "Broker base URL" });
    new CfnOutput(this, "TableName", { value: this.table.tableName });
    new CfnOutput(this, "TokenFunctionName", { value: token.function.functionName });
  }
  /** The token table's access, and exactly the secrets of the connections this function serves. */
  #grantBrokerAccess(fn: BrokerFunction, served: readonly ConnectionConfig[], stage: StageConfig) {
    this.#tokens.grantTokenAccess(fn.role);
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ["events:PutEvents"], resources: [this.#busArn] }),
    );
    fn.grantSecrets(
      served.map((c) => c.secret),
      stage.secretsKmsKeyArns,
    );
  }
}

/**
 * The props as a stage (the same schema the stages file is checked with) and the connections as a
 * deployed stage may have them: every bad field of both in one ConfigError.
 */
function validated(props: TokenBrokerProps): {
  stage: StageConfig;
  brokerConfig: ReturnType<typeof deployableConfig>;
} {
  const issues: { path: string; message: string }[] = [];
  const parsed = stageConfigSchema.safeParse({
    brokerConfig: typeof props.connections === "string" ? props.connections : "(inline)",
    corsOrigins: props.corsOrigins,
    auth: props.auth,
    throttling: props.throttling ?? DEFAULTS.throttling,
    logRetentionDays: props.logRetentionDays ?? DEFAULTS.logRetentionDays,
    removalPolicy: props.removalPolicy === RemovalPolicy.DESTROY ? "destroy" : "retain",
    ...(props.prewarmRateMinutes !== undefined ? { prewarmRateMinutes: props.prewarmRateMinutes } : {}),
    ...(props.alarmTopicArn !== undefined ? { alarmTopicArn: props.alarmTopicArn } : {}),
    ...(props.audit !== undefined ? { audit: props.audit } : {}),
    ...(props.events !== undefined ? { events: props.events } : {}),
    ...(props.secretsKmsKeyArns !== undefined ? { secretsKmsKeyArns: props.secretsKmsKeyArns } : {}),
  });
  if (!parsed.success) {
    issues.push(
      ...parsed.error.issues.map((i) => ({ path: ["props", ...i.path].join("."), message: i.message })),
    );
  }
  let brokerConfig: ReturnType<typeof deployableConfig> | undefined;
  try {
    brokerConfig =
      typeof props.connections === "string"
        ? loadDeployableConfig(resolve(props.connections), props.connections)
        : deployableConfig(props.connections, "connections (TokenBroker props)");
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    issues.push(...error.issues);
  }
  if (issues.length > 0 || !parsed.success || !brokerConfig) {
    throw new ConfigError(
      typeof props.connections === "string" ? `${props.connections} (deployed stage)` : "TokenBroker props",
      issues,
    );
  }
  return { stage: parsed.data, brokerConfig };
}

import { Annotations, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from "aws-cdk-lib";
import type { HttpApi } from "aws-cdk-lib/aws-apigatewayv2";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as logs from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import type { BrokerConfig, ConnectionConfig } from "../lib/config/broker-config.ts";
import { corsPolicy } from "../lib/http/middleware/cors.ts";
import { acknowledge } from "./constructs/acknowledge.ts";
import { BrokerApi } from "./constructs/broker-api.ts";
import { BrokerAudit } from "./constructs/broker-audit.ts";
import { BrokerFunction } from "./constructs/broker-function.ts";
import { BrokerMonitoring } from "./constructs/broker-monitoring.ts";
import { BrokerPrewarm } from "./constructs/broker-prewarm.ts";
import { TokenTable } from "./constructs/token-table.ts";
import type { StageConfig } from "./stage-config.ts";

export interface TokenBrokerStackProps extends StackProps {
  stageName: string;
  stage: StageConfig;
  brokerConfig: BrokerConfig;
  /** Absolute path of the resolved (validated) config, bundled with each function. */
  resolvedConfigPath: string;
}

/** Covers an upstream timeout (5 s) with retries while staying under API Gateway's 30 s. */
const TOKEN_TIMEOUT = Duration.seconds(15);

/** One stage of the broker: HTTP API, token and prewarm functions, token table, schedule, alarms. */
export class TokenBrokerStack extends Stack {
  readonly api: HttpApi;
  readonly table: dynamodb.Table;
  readonly tableKey: kms.Key;
  readonly #tokens: TokenTable;
  #busArn = "";

  constructor(scope: Construct, id: string, props: TokenBrokerStackProps) {
    super(scope, id, props);
    const { stage, stageName, brokerConfig } = props;
    const production = stage.removalPolicy === "retain";
    const removalPolicy = production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const logRetention = stage.logRetentionDays as logs.RetentionDays;
    const service = `token-broker-${stageName}`;
    const connections = [...brokerConfig.connections.values()];
    const prewarmed = connections.filter((c) => "prewarm" in c && c.prewarm);
    // Deny by default is right, but a connection nobody may use is almost always a forgotten line.
    for (const connection of connections.filter((c) => c.access === undefined)) {
      Annotations.of(this).addWarningV2(
        "token-broker:connection-without-access",
        `Connection "${connection.name}" has no "access" rules: no caller can obtain it in stage ${stageName}. Add "access" (claims, scopes or groups) to the connection.`,
      );
    }

    // --- Token table and its key.
    const tokens = new TokenTable(this, "TokenTable", { service, production, removalPolicy, stageName });
    this.table = tokens.table;
    const tableKey = (this.tableKey = tokens.key);
    this.#tokens = tokens;

    // --- Lifecycle events: the stage's bus (or the default one), PutEvents on it only.
    const busName = stage.events.busName ?? "default";
    this.#busArn = this.formatArn({
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
      entry: "functions/token/handler.ts",
      description: `${service}: token API`,
      memorySize: 512,
      timeout: TOKEN_TIMEOUT,
      resolvedConfigPath: props.resolvedConfigPath,
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
    const apiStage = api.stage;

    // --- Prewarm: only when some connection asks for it, invoked directly by the schedule.
    const prewarming =
      prewarmed.length > 0
        ? new BrokerPrewarm(this, "Prewarm", {
            service,
            rateMinutes: stage.prewarmRateMinutes,
            connections: prewarmed,
            resolvedConfigPath: props.resolvedConfigPath,
            environment: commonEnvironment,
            logRetention,
            removalPolicy,
          })
        : undefined;
    if (prewarming) this.#grantBrokerAccess(prewarming.function, prewarmed, stage);
    const prewarm = prewarming?.function;
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

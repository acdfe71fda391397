import { Stack, type StackProps } from "aws-cdk-lib";
import type { HttpApi } from "aws-cdk-lib/aws-apigatewayv2";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import type * as kms from "aws-cdk-lib/aws-kms";
import { RemovalPolicy } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { TokenBroker } from "./constructs/token-broker.ts";
import type { StageConfig } from "./stage-config.ts";

export interface TokenBrokerStackProps extends StackProps {
  stageName: string;
  stage: StageConfig;
}

/** One stage of this repository's app: a stack holding one TokenBroker, configured by infra/stages.json. */
export class TokenBrokerStack extends Stack {
  readonly broker: TokenBroker;
  readonly api: HttpApi;
  readonly table: dynamodb.Table;
  readonly tableKey: kms.Key;

  constructor(scope: Construct, id: string, props: TokenBrokerStackProps) {
    super(scope, id, props);
    const { stage, stageName } = props;
    // "Default": CDK leaves this id out of logical IDs, so a stage's resources keep the IDs they had
    // when they were the stack's own children (no table or key is replaced by the refactoring).
    this.broker = new TokenBroker(this, "Default", {
      connections: stage.brokerConfig,
      name: stageName,
      auth: stage.auth,
      corsOrigins: stage.corsOrigins,
      throttling: stage.throttling,
      logRetentionDays: stage.logRetentionDays,
      prewarmRateMinutes: stage.prewarmRateMinutes,
      removalPolicy: stage.removalPolicy === "retain" ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      audit: stage.audit,
      events: stage.events,
      secretsKmsKeyArns: stage.secretsKmsKeyArns,
      ...(stage.alarmTopicArn ? { alarmTopicArn: stage.alarmTopicArn } : {}),
    });
    this.api = this.broker.api;
    this.table = this.broker.table;
    this.tableKey = this.broker.tableKey;
  }
}

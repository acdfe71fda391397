import { Duration, type RemovalPolicy } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as lambdaDestinations from "aws-cdk-lib/aws-lambda-destinations";
import type * as logs from "aws-cdk-lib/aws-logs";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { ConnectionConfig } from "../../lib/config/broker-config.ts";
import { acknowledge } from "./acknowledge.ts";
import { BrokerFunction } from "./broker-function.ts";

export interface BrokerPrewarmProps {
  service: string;
  /** How often the schedule runs; the prewarm window is this plus the largest skew and a minute. */
  rateMinutes: number;
  /** The prewarm-enabled connections (their largest skew widens the window). */
  connections: readonly ConnectionConfig[];
  /** Absolute path of the resolved (validated) config, bundled with the function. */
  resolvedConfigPath: string;
  /** What every broker function is given (cache table, sealing key, service, log level). */
  environment: Record<string, string>;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
}

/**
 * The prewarm function on its schedule, invoked directly by EventBridge (not through the API),
 * one retry at most, failed deliveries in a dead-letter queue. The stack grants its access.
 */
export class BrokerPrewarm extends Construct {
  readonly function: BrokerFunction;
  readonly deadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: BrokerPrewarmProps) {
    super(scope, id);
    const maxSkew = Math.max(...props.connections.map((c) => ("skewSeconds" in c ? c.skewSeconds : 0)));
    this.function = new BrokerFunction(this, "Function", {
      handler: "prewarm",
      description: `${props.service}: scheduled token prewarm`,
      // Refreshes a few connections at a time, each within the upstream timeout and retries.
      memorySize: 256,
      timeout: Duration.seconds(60),
      resolvedConfigPath: props.resolvedConfigPath,
      environment: {
        ...props.environment,
        BROKER_PREWARM_WINDOW_SECONDS: String(props.rateMinutes * 60 + maxSkew + 60),
      },
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.deadLetters = new sqs.Queue(this, "DeadLetters", {
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    acknowledge(this.deadLetters, [
      {
        id: "AwsSolutions-SQS3",
        reason: "This queue is itself the dead-letter queue of the prewarm schedule.",
      },
      {
        id: "Serverless-SQSRedrivePolicy",
        reason: "This queue is itself a dead-letter queue; nothing consumes it automatically.",
      },
    ]);
    // The next run is minutes away: one retry at most, so a failing upstream sees no storm.
    const rule = new events.Rule(this, "Schedule", {
      description: `${props.service}: prewarm every ${props.rateMinutes} min`,
      schedule: events.Schedule.rate(Duration.minutes(props.rateMinutes)),
    });
    rule.addTarget(
      new targets.LambdaFunction(this.function.function, {
        retryAttempts: 1,
        maxEventAge: Duration.minutes(props.rateMinutes),
        deadLetterQueue: this.deadLetters,
      }),
    );
    this.function.function.configureAsyncInvoke({
      retryAttempts: 0,
      maxEventAge: Duration.minutes(props.rateMinutes),
      onFailure: new lambdaDestinations.SqsDestination(this.deadLetters),
    });
    acknowledge(this.function.function, [
      {
        id: "Serverless-LambdaDLQ",
        reason:
          "Failed schedule deliveries go to the rule target's dead-letter queue; the function reports per-connection failures as metrics instead of throwing.",
      },
    ]);
  }
}

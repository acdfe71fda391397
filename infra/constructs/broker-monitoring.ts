import { Duration } from "aws-cdk-lib";
import type { HttpStage } from "aws-cdk-lib/aws-apigatewayv2";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as cloudwatchActions from "aws-cdk-lib/aws-cloudwatch-actions";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as sns from "aws-cdk-lib/aws-sns";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { TABLE_ACTIONS } from "../../lib/cache/dynamodb-token-store.ts";
import type { ConnectionConfig } from "../../lib/config/broker-config.ts";
import { METRIC, METRICS_NAMESPACE } from "../../lib/observability/metrics.ts";
import type { BrokerFunction } from "./broker-function.ts";

export interface BrokerMonitoringProps {
  /** The stage's service name: the `service` dimension of every broker metric, and the dashboard's name. */
  service: string;
  /** SNS topic every alarm notifies; absent: alarms without actions. */
  alarmTopicArn?: string;
  table: dynamodb.Table;
  apiStage: HttpStage;
  token: BrokerFunction;
  /** The token function's timeout: its duration alarm fires at 80 % of it. */
  tokenTimeout: Duration;
  /** The prewarm function and its dead-letter queue, when the stage prewarms. */
  prewarm?: { fn: BrokerFunction; deadLetters: sqs.Queue };
  /** The stage's connections: one credentials-rejected alarm and graph per exchanged one. */
  connections: readonly ConnectionConfig[];
}

/**
 * A stage's alarms (routed to its topic when one is set) and its dashboard: "which connection is
 * broken, since when, and why". What each alarm means and what to do is in docs/operations.md (alarms, runbook).
 */
export class BrokerMonitoring extends Construct {
  constructor(scope: Construct, id: string, props: BrokerMonitoringProps) {
    super(scope, id);
    const topic = props.alarmTopicArn
      ? sns.Topic.fromTopicArn(this, "AlarmTopic", props.alarmTopicArn)
      : undefined;
    const alarm = (id: string, metric: cloudwatch.IMetric, description: string) => {
      const created = new cloudwatch.Alarm(this, id, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      if (topic) created.addAlarmAction(new cloudwatchActions.SnsAction(topic));
      return created;
    };
    const fiveMinutes = { period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM };
    for (const [name, fn] of [
      ["Token", props.token],
      ["Prewarm", props.prewarm?.fn],
    ] as const) {
      if (!fn) continue;
      alarm(
        `${name}Errors`,
        fn.function.metricErrors(fiveMinutes),
        `${props.service}: ${name.toLowerCase()} function errors (bugs: the broker answers problems, it does not throw)`,
      );
      alarm(
        `${name}Throttles`,
        fn.function.metricThrottles(fiveMinutes),
        `${props.service}: ${name.toLowerCase()} function throttled`,
      );
    }
    alarm("Api5xx", props.apiStage.metricServerError(fiveMinutes), `${props.service}: API answered 5xx`);
    const brokerMetric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: props.service },
        ...fiveMinutes,
      });
    alarm(
      "RefreshFailures",
      brokerMetric(METRIC.refreshFailure),
      `${props.service}: upstream token refreshes failing`,
    );
    alarm(
      "SharedCacheErrors",
      brokerMetric(METRIC.sharedCacheError),
      `${props.service}: the token table is failing (missing, throttled, unreachable): every instance now calls the upstreams itself`,
    );
    alarm(
      "LeasesLost",
      brokerMetric(METRIC.leaseLost),
      `${props.service}: refreshes outlived their lease; raise BROKER_LEASE_SECONDS or lower the upstream timeout`,
    );
    const tableOperations = [...TABLE_ACTIONS].map((a) => a.replace("dynamodb:", "") as dynamodb.Operation);
    alarm(
      "TableThrottles",
      props.table.metricThrottledRequestsForOperations({ operations: tableOperations, ...fiveMinutes }),
      `${props.service}: token table requests throttled`,
    );
    alarm(
      "TableSystemErrors",
      props.table.metricSystemErrorsForOperations({ operations: tableOperations, ...fiveMinutes }),
      `${props.service}: DynamoDB system errors on the token table`,
    );
    // p99 above 80 % of the timeout: one slow upstream away from Lambda killing requests mid-refresh.
    const durationAlarm = new cloudwatch.Alarm(this, "TokenDurationNearTimeout", {
      metric: props.token.function.metricDuration({ period: Duration.minutes(5), statistic: "p99" }),
      threshold: props.tokenTimeout.toMilliseconds() * 0.8,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `${props.service}: token function p99 duration near its ${props.tokenTimeout.toSeconds()} s timeout`,
    });
    if (topic) durationAlarm.addAlarmAction(new cloudwatchActions.SnsAction(topic));
    if (props.prewarm) {
      const { deadLetters } = props.prewarm;
      alarm(
        "PrewarmFailures",
        brokerMetric(METRIC.prewarmFailed),
        `${props.service}: prewarm failed for a connection`,
      );
      alarm(
        "PrewarmDeadLettersVisible",
        deadLetters.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        `${props.service}: a prewarm run failed as a whole (its event is in the dead-letter queue)`,
      );
    }

    // --- Dead credentials, per connection: the alarm names the connection and says what to do.
    const exchangedConnections = props.connections.filter((c) => c.issuance === "exchanged");
    const connectionMetric = (metricName: string, connection: string) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: props.service, connection },
        ...fiveMinutes,
      });
    for (const connection of exchangedConnections) {
      alarm(
        `CredentialsRejected${constructId(connection.name)}`,
        connectionMetric(METRIC.credentialsRejected, connection.name),
        `${props.service}: the upstream rejects the credentials of connection "${connection.name}" (secret ${connection.secret}); rotate the secret (docs/operations.md: Runbook)`,
      );
    }

    // --- One dashboard per stage: "which connection is broken, since when, and why".
    const broker = (metricName: string, statistic: string = cloudwatch.Stats.SUM) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: props.service },
        period: Duration.minutes(5),
        statistic,
        label: metricName,
      });
    const graph = (title: string, left: cloudwatch.IMetric[], width = 8) =>
      new cloudwatch.GraphWidget({ title, left, width, height: 6 });
    new cloudwatch.Dashboard(this, "Dashboard", {
      dashboardName: props.service,
      defaultInterval: Duration.hours(6),
      widgets: [
        [
          graph("API requests", [
            props.apiStage.metricCount({ period: Duration.minutes(5), label: "requests" }),
          ]),
          graph("API latency (ms)", [
            props.apiStage.metricLatency({ period: Duration.minutes(5), statistic: "p50", label: "p50" }),
            props.apiStage.metricLatency({ period: Duration.minutes(5), statistic: "p99", label: "p99" }),
          ]),
          graph("API 4xx / 5xx", [
            props.apiStage.metricClientError({ period: Duration.minutes(5), label: "4xx" }),
            props.apiStage.metricServerError({ period: Duration.minutes(5), label: "5xx" }),
          ]),
        ],
        [
          graph("Credentials served, by level", [
            broker(METRIC.cacheHitMemory),
            broker(METRIC.cacheHitShared),
            broker(METRIC.upstreamRefresh),
            broker(METRIC.minted),
          ]),
          graph("Upstream token calls and failures", [
            broker(METRIC.upstreamRefresh),
            broker(METRIC.refreshFailure),
            broker(METRIC.refreshRejected),
            broker(METRIC.forcedRefresh),
          ]),
          graph("Failures by connection", [
            ...exchangedConnections.flatMap((c) => [
              connectionMetric(METRIC.credentialsRejected, c.name).with({
                label: `${c.name}: credentials rejected`,
              }),
              connectionMetric(METRIC.connectionFailure, c.name).with({ label: `${c.name}: other failures` }),
            ]),
          ]),
        ],
        [
          graph("Proxy: upstream status classes", [
            broker(METRIC.proxyUpstream2xx),
            broker(METRIC.proxyUpstream3xx),
            broker(METRIC.proxyUpstream4xx),
            broker(METRIC.proxyUpstream5xx),
          ]),
          graph("Proxy latency (ms)", [
            broker(METRIC.proxyLatency, "p50").with({ label: "p50" }),
            broker(METRIC.proxyLatency, "p99").with({ label: "p99" }),
          ]),
          graph("Shared cache", [
            broker(METRIC.sharedCacheError),
            broker(METRIC.leaseLost),
            broker(METRIC.leaseTakenOver),
          ]),
        ],
        [
          graph("Prewarm outcomes", [broker(METRIC.prewarmRefreshed), broker(METRIC.prewarmFailed)]),
          graph("Token function duration (ms)", [
            props.token.function.metricDuration({
              period: Duration.minutes(5),
              statistic: "p50",
              label: "p50",
            }),
            props.token.function.metricDuration({
              period: Duration.minutes(5),
              statistic: "p99",
              label: "p99",
            }),
          ]),
          graph("Token function errors / throttles", [
            props.token.function.metricErrors({ period: Duration.minutes(5), label: "errors" }),
            props.token.function.metricThrottles({ period: Duration.minutes(5), label: "throttles" }),
          ]),
        ],
      ],
    });
  }
}

/** "demo-ledger" -> "DemoLedger": construct ids from connection names. */
function constructId(name: string): string {
  return name
    .split("-")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

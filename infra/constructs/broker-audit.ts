import { type CfnResource, Duration, type RemovalPolicy, Stack } from "aws-cdk-lib";
import * as firehose from "aws-cdk-lib/aws-kinesisfirehose";
import * as kms from "aws-cdk-lib/aws-kms";
import * as logs from "aws-cdk-lib/aws-logs";
import * as destinations from "aws-cdk-lib/aws-logs-destinations";
import * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { AUDIT_FORMAT } from "../../lib/audit/audit-record.ts";
import { acknowledge } from "./acknowledge.ts";

export interface BrokerAuditProps {
  service: string;
  /** The log groups whose audit records are delivered (the token function's). */
  logGroups: readonly logs.ILogGroup[];
  /** How long the bucket keeps a record (S3 lifecycle expiration). */
  retentionDays: number;
  /** Records move to Glacier Instant Retrieval after this many days, if set. */
  archiveAfterDays?: number;
  removalPolicy: RemovalPolicy;
}

/**
 * The audit trail's own place, apart from the debug logs and with its own retention: a CloudWatch
 * Logs subscription picks the audit lines (`audit` = the record format) out of the function's log
 * group, Firehose unwraps them (decompression, message extraction, one record per line) and writes
 * them to an S3 bucket encrypted with the trail's own KMS key, private, TLS only, access-logged,
 * versioned, expiring per the stage's retention.
 */
export class BrokerAudit extends Construct {
  readonly bucket: s3.Bucket;
  readonly key: kms.Key;
  readonly stream: firehose.DeliveryStream;

  constructor(scope: Construct, id: string, props: BrokerAuditProps) {
    super(scope, id);
    this.key = new kms.Key(this, "Key", {
      description: `${props.service}: audit trail`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    const accessLogs = new s3.Bucket(this, "AccessLogs", {
      encryption: s3.BucketEncryption.S3_MANAGED, // S3 server access logs cannot be written to a KMS bucket
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: props.removalPolicy,
      lifecycleRules: [{ expiration: Duration.days(props.retentionDays) }],
    });
    acknowledge(accessLogs, [
      {
        id: "AwsSolutions-S1",
        reason: "This is the audit bucket's access-log bucket; logging it would recurse.",
      },
    ]);
    this.bucket = new s3.Bucket(this, "Bucket", {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: "audit-bucket/",
      removalPolicy: props.removalPolicy,
      lifecycleRules: [
        {
          expiration: Duration.days(props.retentionDays),
          noncurrentVersionExpiration: Duration.days(1),
          ...(props.archiveAfterDays !== undefined
            ? {
                transitions: [
                  {
                    storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                    transitionAfter: Duration.days(props.archiveAfterDays),
                  },
                ],
              }
            : {}),
        },
      ],
    });
    this.stream = new firehose.DeliveryStream(this, "Stream", {
      encryption: firehose.StreamEncryption.customerManagedKey(this.key),
      destination: new firehose.S3Bucket(this.bucket, {
        encryptionKey: this.key,
        dataOutputPrefix: "audit/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/",
        errorOutputPrefix:
          "failed/!{firehose:error-output-type}/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/",
        bufferingInterval: Duration.seconds(60),
        processors: [
          new firehose.DecompressionProcessor(),
          new firehose.CloudWatchLogProcessor({ dataMessageExtraction: true }),
          new firehose.AppendDelimiterToRecordProcessor(),
        ],
      }),
    });
    // Firehose's service role, as CDK's S3 destination grants it: object-level access below the
    // bucket and KMS data keys for this trail's key only.
    const stack = Stack.of(this);
    const bucketId = stack.resolve(
      stack.getLogicalId(this.bucket.node.defaultChild as CfnResource),
    ) as string;
    acknowledge(this.stream, [
      ...["s3:Abort*", "s3:DeleteObject*", "s3:GetBucket*", "s3:GetObject*", "s3:List*"].map((action) => ({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: "CDK's Firehose S3 destination grant, on the audit bucket only.",
      })),
      {
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/*]`,
        reason: "Firehose writes objects under the audit bucket: object ARNs need the wildcard.",
      },
      ...["kms:GenerateDataKey*", "kms:ReEncrypt*"].map((action) => ({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: "Data keys of the audit trail's own KMS key only (CDK's encryption grant).",
      })),
    ]);
    acknowledge(stack, [
      {
        id: "CloudFormation-Validate::W7001",
        reason:
          "CDK's Firehose construct adds a mapping of Firehose's CIDR blocks, used only by destinations this trail does not have.",
      },
    ]);
    for (const [index, logGroup] of props.logGroups.entries()) {
      new logs.SubscriptionFilter(this, `Subscription${index}`, {
        logGroup,
        destination: new destinations.FirehoseDestination(this.stream),
        filterPattern: logs.FilterPattern.stringValue("$.audit", "=", AUDIT_FORMAT),
      });
    }
  }
}

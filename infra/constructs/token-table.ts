import { type RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import { Construct } from "constructs";
import {
  TABLE_ACTIONS,
  TABLE_PARTITION_KEY,
  TABLE_TTL_ATTRIBUTE,
} from "../../lib/cache/dynamodb-token-store.ts";
import { KMS_CONTEXT_PURPOSE } from "../../lib/cache/kms-data-keys.ts";

export interface TokenTableProps {
  /** Names the key in its description. */
  service: string;
  /** Production: point-in-time recovery and deletion protection, and RETAIN as the removal policy. */
  production: boolean;
  removalPolicy: RemovalPolicy;
  /** For the reason given when a disposable stage goes without point-in-time recovery. */
  stageName: string;
}

/**
 * The token table and the customer-managed key it is encrypted with, whose data keys also seal the
 * token fields. TTL is garbage collection only; the broker checks expiry on every read. The layout
 * and the operations are the store's (lib/cache/dynamodb-token-store.ts); `grantTokenAccess`
 * grants exactly those.
 */
export class TokenTable extends Construct {
  readonly table: dynamodb.Table;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: TokenTableProps) {
    super(scope, id);
    this.key = new kms.Key(this, "Key", {
      description: `${props.service}: token cache encryption`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    // Table (not TableV2): TableV2 cannot render a customer-managed key in a region-agnostic stack.
    this.table = new dynamodb.Table(this, "Table", {
      partitionKey: { name: TABLE_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE_TTL_ATTRIBUTE,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: props.production },
      deletionProtection: props.production,
      removalPolicy: props.removalPolicy,
    });
    if (!props.production) {
      Validations.of(this.table).acknowledge({
        id: "AwsSolutions-DDB3",
        reason: `Stage "${props.stageName}" is disposable (removalPolicy destroy) and the table only caches tokens the broker can re-obtain; production stages enable point-in-time recovery.`,
      });
    }
  }

  /**
   * The item operations the broker calls on the table (nothing else: no Scan, no batch, no delete,
   * no streams), the table key only through DynamoDB, and data keys bound to this table's sealing.
   */
  grantTokenAccess(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: [...TABLE_ACTIONS], resources: [this.table.tableArn] }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        // DynamoDB decrypts the table key with it; encrypting is DynamoDB's own business.
        actions: ["kms:Decrypt", "kms:DescribeKey"],
        resources: [this.key.keyArn],
        conditions: { StringEquals: { "kms:ViaService": `dynamodb.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        // Envelope encryption of token fields: data keys bound to this purpose and table only.
        actions: ["kms:GenerateDataKey", "kms:Decrypt"],
        resources: [this.key.keyArn],
        conditions: {
          StringEquals: {
            "kms:EncryptionContext:purpose": KMS_CONTEXT_PURPOSE,
            "kms:EncryptionContext:table": this.table.tableName,
          },
        },
      }),
    );
  }
}

import { CreateTableCommand, type DynamoDBClient, ResourceInUseException } from "@aws-sdk/client-dynamodb";
import { TABLE_PARTITION_KEY } from "../cache/dynamodb-token-store.ts";

/**
 * Creates the token table for local runs and tests (DynamoDB Local). Deployed stacks create it
 * with CDK, from the same key constants.
 */
export async function ensureTokenTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [{ AttributeName: TABLE_PARTITION_KEY, KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: TABLE_PARTITION_KEY, AttributeType: "S" }],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
}

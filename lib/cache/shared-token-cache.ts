import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDbHealthStore } from "../health/dynamodb-health-store.ts";
import { boundedAwsClient } from "../runtime/aws-call-limits.ts";
import type { TokenLoader } from "./token-cache.ts";
import { DynamoDbTokenLoader } from "./dynamodb-token-loader.ts";
import { DynamoDbTokenStore } from "./dynamodb-token-store.ts";
import { kmsDataKeys } from "./kms-data-keys.ts";
import { localDataKeys, TokenSealer } from "./token-sealer.ts";

/** What seals the table's token fields: the stage's KMS key, or a local 32-byte key. */
export type SealingKeySetting = { kms: string } | { local: Uint8Array };

export interface SharedTokenCacheOptions {
  table: string;
  sealingKey: SealingKeySetting;
  leaseMs: number;
}

/**
 * The shared level behind the in-process cache: the DynamoDB table (single flight by lease) with
 * sealed token fields. broker-from-env imports this module on first use, so it, the DynamoDB client
 * and the KMS client are a chunk of their own that a process serving only minted credentials never
 * reads.
 */
export function sharedTokenCache(options: SharedTokenCacheOptions): {
  load: TokenLoader;
  store: DynamoDbTokenStore;
  health: DynamoDbHealthStore;
} {
  const { table, sealingKey, leaseMs } = options;
  const sealer = new TokenSealer(
    "kms" in sealingKey ? kmsDataKeys(sealingKey.kms, table) : localDataKeys(sealingKey.local),
  );
  const client = new DynamoDBClient(boundedAwsClient());
  const store = new DynamoDbTokenStore(client, table, sealer);
  return {
    load: new DynamoDbTokenLoader(store, { leaseMs }).load,
    store,
    health: new DynamoDbHealthStore(client, table),
  };
}

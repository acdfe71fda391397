import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { boundedAwsClient } from "../runtime/aws-call-limits.ts";
import type { TokenLoader } from "./token-cache.ts";
import { DynamoDbTokenCache } from "./dynamodb-token-cache.ts";
import { DynamoDbTokenStore } from "./dynamodb-token-store.ts";
import { kmsDataKeys } from "./kms-data-keys.ts";
import { localDataKeys, TokenSealer } from "./token-sealer.ts";

/** What seals the table's token fields: the stage's KMS key, or a local 32-byte key. */
export type CacheKeySetting = { kms: string } | { local: Uint8Array };

export interface SharedTokenCacheOptions {
  table: string;
  cacheKey: CacheKeySetting;
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
} {
  const { table, cacheKey, leaseMs } = options;
  const sealer = new TokenSealer(
    "kms" in cacheKey ? kmsDataKeys(cacheKey.kms, table) : localDataKeys(cacheKey.local),
  );
  const store = new DynamoDbTokenStore(new DynamoDBClient(boundedAwsClient()), table, sealer);
  return { load: new DynamoDbTokenCache(store, { leaseMs }).load, store };
}

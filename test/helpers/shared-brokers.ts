import { randomUUID } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, afterEach, beforeAll, inject } from "vitest";
import { Broker } from "../../lib/broker.ts";
import {
  DynamoDbTokenLoader,
  type DynamoDbTokenLoaderOptions,
} from "../../lib/cache/dynamodb-token-loader.ts";
import { ensureTokenTable } from "../../lib/local/dynamodb-table.ts";
import { DynamoDbTokenStore } from "../../lib/cache/dynamodb-token-store.ts";
import { DynamoDbHealthStore } from "../../lib/health/dynamodb-health-store.ts";
import { MemoryTokenCache } from "../../lib/cache/memory-token-cache.ts";
import { localDataKeys, TokenSealer } from "../../lib/cache/token-sealer.ts";
import { parseConfig } from "../../lib/config/broker-config.ts";
import { localDynamoDbClient } from "../../lib/local/dynamodb-local.ts";
import { HttpClient } from "../../lib/upstream/http-client.ts";
import { MemorySecrets } from "./secrets.ts";
import { deliveredAsHeaders } from "./delivery.ts";
import type { EventPublisher } from "../../lib/events/lifecycle-events.ts";

/** One local key for every simulated instance, as one KMS key serves a stage. */
export const testSealer = new TokenSealer(localDataKeys(new Uint8Array(32).fill(7)));

export async function newTable(client: DynamoDBClient): Promise<string> {
  const name = `tokens-${randomUUID()}`;
  await ensureTokenTable(client, name);
  return name;
}

export interface Instance {
  broker: Broker;
  secrets: MemorySecrets;
  store: DynamoDbTokenStore;
  health: DynamoDbHealthStore;
}

/**
 * One simulated Lambda instance: its own secret cache, in-process cache and HTTP client, sharing
 * only the DynamoDB table with the others.
 */
export function instance(
  id: string,
  client: DynamoDBClient,
  table: string,
  connections: Record<string, unknown>,
  secrets: Record<string, Record<string, string>>,
  options: {
    now: () => number;
    cache?: DynamoDbTokenLoaderOptions;
    events?: EventPublisher;
    expiryWarningMs?: number;
  },
): Instance {
  const store = new DynamoDbTokenStore(client, table, testSealer);
  const health = new DynamoDbHealthStore(client, table);
  const shared = new DynamoDbTokenLoader(store, { owner: id, now: options.now, ...options.cache });
  const secretSource = new MemorySecrets(secrets);
  const broker = new Broker({
    config: parseConfig({ connections: deliveredAsHeaders(connections) }),
    secrets: secretSource,
    cache: new MemoryTokenCache({ next: shared.load }),
    health,
    now: options.now,
    http: new HttpClient({ maxAttempts: 1 }, { sleep: async () => {} }),
    ...(options.events ? { events: options.events } : {}),
    ...(options.expiryWarningMs ? { expiryWarningMs: options.expiryWarningMs } : {}),
  });
  return { broker, secrets: secretSource, store, health };
}

/**
 * A test file's connection to the run's DynamoDB Local (started by the global setup), plus a list
 * of things to close after each test.
 */
export function useDynamoDbLocal() {
  const state = { client: undefined as unknown as DynamoDBClient, closers: [] as (() => Promise<void>)[] };
  beforeAll(() => {
    state.client = localDynamoDbClient(inject("dynamoDbEndpoint"));
  });
  afterAll(() => state.client.destroy());
  afterEach(async () => {
    await Promise.all(state.closers.splice(0).map((close) => close()));
  });
  return state;
}

import { randomBytes } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { Broker } from "../lib/broker.ts";
import { DynamoDbTokenLoader } from "../lib/cache/dynamodb-token-loader.ts";
import { ensureTokenTable } from "../lib/local/dynamodb-table.ts";
import { DynamoDbTokenStore } from "../lib/cache/dynamodb-token-store.ts";
import { MemoryTokenCache } from "../lib/cache/memory-token-cache.ts";
import { localDataKeys, TokenSealer } from "../lib/cache/token-sealer.ts";
import { parseConfig } from "../lib/config/broker-config.ts";
import { CachedSecretSource } from "../lib/secrets/cached-secret-source.ts";
import { localFileSecrets } from "../lib/secrets/local-file-secrets.ts";
import { connections } from "./fixtures.ts";

export interface UpstreamLoadResult {
  instances: number;
  concurrentRequests: number;
  tokenLifetimes: number;
  physicalLimit: number;
  brokerUpstreamCalls: number;
  naiveUpstreamCalls: number;
  failures: number;
}

/**
 * 1,000 concurrent requests over several broker instances sharing one table, across two token
 * lifetimes (a shared clock jumps past the expiry), against a naive handler's call count.
 */
export async function upstreamLoad(
  client: DynamoDBClient,
  server: { url: string; calls: () => number },
  secretsFile: string,
  options: { instances: number; requests: number; lifetimeSeconds: number },
): Promise<UpstreamLoadResult> {
  const table = `bench-load-${Date.now()}`;
  await ensureTokenTable(client, table);
  const clock = { t: Date.now() };
  const config = parseConfig({ connections: connections(server.url) });
  const sealer = new TokenSealer(localDataKeys(randomBytes(32))); // one stage key for all instances
  const brokers = Array.from({ length: options.instances }, (_, i) => {
    const shared = new DynamoDbTokenLoader(new DynamoDbTokenStore(client, table, sealer), {
      owner: `bench-${i}`,
      now: () => clock.t,
    });
    return new Broker({
      config,
      secrets: new CachedSecretSource(localFileSecrets(secretsFile), { maxAgeMs: 3_600_000 }),
      cache: new MemoryTokenCache({ next: shared.load }),
      now: () => clock.t,
    });
  });
  const before = server.calls();
  let failures = 0;
  for (let lifetime = 0; lifetime < 2; lifetime++) {
    const results = await Promise.allSettled(
      Array.from({ length: options.requests }, (_, i) =>
        (brokers[i % brokers.length] as Broker).getCredential("bench"),
      ),
    );
    failures += results.filter((r) => r.status === "rejected").length;
    clock.t += options.lifetimeSeconds * 1000;
  }
  const brokerUpstreamCalls = server.calls() - before;

  const naiveBefore = server.calls();
  for (let lifetime = 0; lifetime < 2; lifetime++) {
    await Promise.all(
      Array.from({ length: options.requests }, () =>
        fetch(server.url, { method: "POST", body: "grant_type=client_credentials" }).then((r) =>
          r.arrayBuffer(),
        ),
      ),
    );
  }
  return {
    instances: options.instances,
    concurrentRequests: options.requests,
    tokenLifetimes: 2,
    physicalLimit: 2,
    brokerUpstreamCalls,
    naiveUpstreamCalls: server.calls() - naiveBefore,
    failures,
  };
}

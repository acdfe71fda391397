import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { type DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { createTokenHandler } from "../functions/token/handler.ts";
import { Broker } from "../lib/broker.ts";
import { DynamoDbTokenLoader } from "../lib/cache/dynamodb-token-loader.ts";
import { ensureTokenTable } from "../lib/local/dynamodb-table.ts";
import { DynamoDbTokenStore } from "../lib/cache/dynamodb-token-store.ts";
import { MemoryTokenCache } from "../lib/cache/memory-token-cache.ts";
import { localDataKeys, TokenSealer } from "../lib/cache/token-sealer.ts";
import { parseConfig } from "../lib/config/broker-config.ts";
import { CachedSecretSource } from "../lib/secrets/cached-secret-source.ts";
import { localFileSecrets } from "../lib/secrets/local-file-secrets.ts";
import { connections, AUDIT_SINK } from "./fixtures.ts";
import { interleave, type Latency, measure, summarize } from "./stats.ts";
import { readSettings } from "../lib/runtime/settings.ts";

export interface WarmPathResult {
  requests: number;
  upstreamDelayMs: number;
  memoryHit: Latency;
  dynamoDbHit: Latency;
  rawGetItem: Latency;
  /** Opening an item's two sealed token fields (AES-256-GCM, data key cached): the encryption cost of a hit. */
  unseal: Latency;
  naive: Latency & { concurrency: number };
}

const context = {
  awsRequestId: "bench",
  functionName: "token",
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

function tokenEvent(): APIGatewayProxyEventV2 {
  return {
    version: "2.0",
    routeKey: "POST /v1/connections/{name}/token",
    rawPath: "/v1/connections/bench/token",
    rawQueryString: "",
    headers: {},
    pathParameters: { name: "bench" },
    requestContext: {
      accountId: "0",
      apiId: "bench",
      domainName: "bench",
      domainPrefix: "bench",
      http: {
        method: "POST",
        path: "/v1/connections/bench/token",
        protocol: "HTTP/1.1",
        sourceIp: "127.0.0.1",
        userAgent: "bench",
      },
      requestId: "bench",
      routeKey: "POST /v1/connections/{name}/token",
      stage: "$default",
      time: "",
      timeEpoch: 0,
      authorizer: { jwt: { claims: { sub: "bench", scope: "broker/token" }, scopes: ["broker/token"] } },
    } as APIGatewayProxyEventV2["requestContext"],
    isBase64Encoded: false,
  };
}

/**
 * Handler latency for an in-process hit and a DynamoDB (Local) hit, against a raw GetItem of the
 * same item and a naive handler that reads the secret and calls the upstream on every request.
 */
export async function warmPath(
  client: DynamoDBClient,
  tokenUrl: string,
  secretsFile: string,
  requests: number,
  upstreamDelayMs: number,
): Promise<WarmPathResult> {
  const config = parseConfig({ connections: connections(tokenUrl) });
  const secrets = () => new CachedSecretSource(localFileSecrets(secretsFile), { maxAgeMs: 300_000 });
  const event = tokenEvent();

  const memoryBroker = new Broker({ config, secrets: secrets() });
  const memoryHandler = createTokenHandler(() => memoryBroker, readSettings({ BROKER_AUDIT: AUDIT_SINK }));
  await memoryHandler(event, context);
  const memoryHit = summarize(await measure(requests, 1, () => memoryHandler(event, context)));

  const table = `bench-${Date.now()}`;
  await ensureTokenTable(client, table);
  // Encryption on, as deployed: after the first unwrap the data key is cached, as with KMS.
  const sealer = new TokenSealer(localDataKeys(randomBytes(32)));
  const store = new DynamoDbTokenStore(client, table, sealer);
  // maxEntries 0: the in-process level keeps nothing, so every request is served from DynamoDB.
  const sharedBroker = new Broker({
    config,
    secrets: secrets(),
    cache: new MemoryTokenCache({ maxEntries: 0, next: new DynamoDbTokenLoader(store).load }),
  });
  const sharedHandler = createTokenHandler(() => sharedBroker, readSettings({ BROKER_AUDIT: AUDIT_SINK }));
  const primed = await sharedHandler(event, context);
  if (primed.statusCode !== 200) throw new Error(`priming failed: ${primed.body}`);
  const key = sharedBroker.itemKeyOf("bench") as string;
  const get = new GetItemCommand({ TableName: table, Key: { pk: { S: key } }, ConsistentRead: true });
  // Interleaved, one broker request then one raw GetItem, after a warm-up of both: the two series
  // meet the same DynamoDB Local (JVM) and the same JIT state, so their ratio is about the broker,
  // not about which ran first.
  const [dynamoDbSamples, rawSamples] = await interleave(
    requests,
    () => sharedHandler(event, context),
    () => client.send(get),
  );
  const dynamoDbHit = summarize(dynamoDbSamples);
  const rawGetItem = summarize(rawSamples);
  const { Item: item } = await client.send(get);
  const unseal = summarize(
    await measure(requests, 1, async () => {
      const { open } = await sealer.opener(item?.dataKey?.S as string);
      open(item?.accessToken?.S as string, `${key}\u0000accessToken`);
      if (item?.refreshToken?.S) open(item.refreshToken.S, `${key}\u0000refreshToken`);
    }),
  );

  // The naive baseline: no cache of any kind, the secret read and the upstream called per request.
  const naiveConcurrency = 50;
  const naive = summarize(
    await measure(requests, naiveConcurrency, async () => {
      const secret = JSON.parse(await readFile(secretsFile, "utf8")).bench;
      const body = new URLSearchParams({
        grant_type: "client_credentials",
        client_id: secret.clientId,
        client_secret: secret.clientSecret,
      });
      const response = await fetch(tokenUrl, {
        method: "POST",
        body,
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      const token = (await response.json()) as { access_token: string };
      return { headers: { Authorization: `Bearer ${token.access_token}` } };
    }),
  );
  return {
    requests,
    upstreamDelayMs,
    memoryHit,
    dynamoDbHit,
    rawGetItem,
    unseal,
    naive: { ...naive, concurrency: naiveConcurrency },
  };
}

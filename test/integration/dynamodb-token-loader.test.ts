import { existsSync } from "node:fs";
import { type AttributeValue, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { type AddressInfo, createServer as createNetServer, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { AWS_CALL_LIMITS, boundedAwsClient } from "../../lib/runtime/aws-call-limits.ts";
import { TokenRefreshPendingError, UpstreamCredentialsRejectedError } from "../../lib/errors.ts";
import { localDynamoDbClient, startDynamoDbLocal } from "../../lib/local/dynamodb-local.ts";
import { runWithDeadline } from "../../lib/runtime/invocation-deadline.ts";
import { type LedgerServer, startLedgerServer } from "../helpers/ledger-server.ts";
import { instance, newTable, useDynamoDbLocal } from "../helpers/shared-brokers.ts";
import { startTokenServer, type TokenServer } from "../helpers/token-server.ts";

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const db = useDynamoDbLocal();

async function tokenServer(options?: Parameters<typeof startTokenServer>[0]): Promise<TokenServer> {
  const server = await startTokenServer(options);
  db.closers.push(server.close);
  return server;
}

async function ledgerServer(): Promise<LedgerServer> {
  const server = await startLedgerServer();
  db.closers.push(server.close);
  return server;
}

const ccConnection = (tokenUrl: string) => ({
  cc: {
    scheme: "oauth2-client-credentials",
    secret: "cc",
    tokenUrl,
    clientAuth: { method: "client_secret_post" },
  },
});
const ccSecrets = { cc: { clientId: "client", clientSecret: "client-secret-value" } };

const ledgerConnection = (url: string) => ({
  ledger: { preset: "ledger-enterprise", secret: "ledger", baseUrl: url, workspace: "ws" },
});
const ledgerSecrets = { ledger: { apiKeyId: "key-id", apiKeySecret: "key-secret" } };

describe("DynamoDB token cache: one upstream call per token lifetime", () => {
  it("5 instances x 40 concurrent requests: exactly one token call, then exactly one more after expiry", async () => {
    const upstream = await tokenServer({ delayMs: 50, expiresIn: 300 });
    const table = await newTable(db.client);
    const clock = { t: T0 };
    const instances = Array.from({ length: 5 }, (_, i) =>
      instance(`i${i}`, db.client, table, ccConnection(`${upstream.url}/token`), ccSecrets, {
        now: () => clock.t,
      }),
    );
    const burst = () =>
      Promise.all(
        instances.flatMap(({ broker }) => Array.from({ length: 40 }, () => broker.getCredential("cc"))),
      );

    const first = await burst();
    expect(first).toHaveLength(200);
    expect(upstream.tokenCalls()).toBe(1);
    expect(new Set(first.map((c) => c.headers.Authorization))).toEqual(new Set(["Bearer token-1"]));

    clock.t = T0 + 300_000; // expired (and DynamoDB Local never deletes the item)
    const second = await burst();
    expect(upstream.tokenCalls()).toBe(2);
    expect(new Set(second.map((c) => c.headers.Authorization))).toEqual(new Set(["Bearer token-2"]));
  });

  it("never serves an item past its expiry, even though it is still in the table", async () => {
    const upstream = await tokenServer({ expiresIn: 300 });
    const table = await newTable(db.client);
    const clock = { t: T0 };
    const a = instance("a", db.client, table, ccConnection(`${upstream.url}/token`), ccSecrets, {
      now: () => clock.t,
    });
    await a.broker.getCredential("cc");
    clock.t = T0 + 301_000;
    const key = a.broker.itemKeyOf("cc") as string;
    expect((await a.store.read(key))?.tokens?.accessToken).toBe("token-1"); // still there
    const b = instance("b", db.client, table, ccConnection(`${upstream.url}/token`), ccSecrets, {
      now: () => clock.t,
    });
    expect((await b.broker.getCredential("cc")).headers.Authorization).toBe("Bearer token-2");
    expect((await a.store.read(key))?.tokens).toMatchObject({
      accessToken: "token-2",
      expiresAt: T0 + 301_000 + 300_000,
    });
  });

  it("the item carries a numeric TTL in epoch seconds and a version", async () => {
    const upstream = await tokenServer({ expiresIn: 300 });
    const table = await newTable(db.client);
    const a = instance("a", db.client, table, ccConnection(`${upstream.url}/token`), ccSecrets, {
      now: () => T0,
    });
    await a.broker.getCredential("cc");
    const { GetItemCommand } = await import("@aws-sdk/client-dynamodb");
    const { Item } = await db.client.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: a.broker.itemKeyOf("cc") as string } } }),
    );
    expect(Item?.ttl?.N).toBe(String(Math.ceil((T0 + 300_000) / 1000) + 3600));
    expect(Item?.version?.N).toBe("1");
    expect(Item?.leaseOwner).toBeUndefined();
  });
});

describe("DynamoDB token cache: leases", () => {
  it("a lease holder that died: others wait (503 token-refresh-pending), then take over once it expires", async () => {
    const upstream = await tokenServer();
    const table = await newTable(db.client);
    const clock = { t: T0 };
    // Waiting advances a virtual clock instead of sleeping.
    const virtualSleep = async (ms: number) => {
      clock.t += ms;
    };
    const b = instance("b", db.client, table, ccConnection(`${upstream.url}/token`), ccSecrets, {
      now: () => clock.t,
      cache: { sleep: virtualSleep, leaseMs: 25_000, waitMs: 8_000 },
    });
    const key = b.broker.itemKeyOf("cc") as string;
    expect(await b.store.acquireLease(key, "dead-instance", clock.t, 25_000)).toEqual({ abandoned: false }); // then it crashed

    const error = await b.broker.getCredential("cc").catch((e) => e);
    expect(error).toBeInstanceOf(TokenRefreshPendingError);
    expect(error).toMatchObject({ status: 503, retryAfterSeconds: 1 });
    expect(upstream.tokenCalls()).toBe(0);

    clock.t = T0 + 25_000; // the dead lease expires
    expect((await b.broker.getCredential("cc")).headers.Authorization).toBe("Bearer token-1");
    expect(upstream.tokenCalls()).toBe(1);
    expect((await b.store.read(key))?.leaseOwner).toBeUndefined();
  });

  it("while another instance holds the lease, a still-valid token is served instead of waiting", async () => {
    const upstream = await tokenServer({ expiresIn: 300 });
    const table = await newTable(db.client);
    const clock = { t: T0 };
    const a = instance("a", db.client, table, ccConnection(`${upstream.url}/token`), ccSecrets, {
      now: () => clock.t,
    });
    await a.broker.getCredential("cc");
    clock.t = T0 + 250_000; // inside the 60 s skew: wants a refresh
    const key = a.broker.itemKeyOf("cc") as string;
    await a.store.acquireLease(key, "other", clock.t, 25_000);
    const b = instance("b", db.client, table, ccConnection(`${upstream.url}/token`), ccSecrets, {
      now: () => clock.t,
    });
    expect(await b.broker.getCredential("cc")).toMatchObject({
      headers: { Authorization: "Bearer token-1" },
      source: "shared",
    });
    expect(upstream.tokenCalls()).toBe(1);
  });

  it("an upstream 429 with Retry-After cools every instance down, without more upstream calls", async () => {
    const upstream = await tokenServer();
    upstream.respond = () => ({
      status: 429,
      body: { error: "slow_down" },
      headers: { "retry-after": "30" },
    });
    const table = await newTable(db.client);
    const clock = { t: T0 };
    const a = instance("a", db.client, table, ccConnection(`${upstream.url}/token`), ccSecrets, {
      now: () => clock.t,
    });
    const b = instance("b", db.client, table, ccConnection(`${upstream.url}/token`), ccSecrets, {
      now: () => clock.t,
    });
    await expect(a.broker.getCredential("cc")).rejects.toMatchObject({ status: 503, retryAfterSeconds: 30 });
    clock.t += 10_000;
    const cooled = await b.broker.getCredential("cc").catch((e) => e);
    expect(cooled.status).toBe(503);
    expect([20, 21]).toContain(cooled.retryAfterSeconds); // 30 s minus 10 s, plus under a second of jitter
    expect(upstream.tokenCalls()).toBe(1);
    upstream.respond = undefined;
    clock.t += 21_000;
    expect((await b.broker.getCredential("cc")).headers.Authorization).toBe("Bearer token-2");
  });
});

describe("DynamoDB token cache: refresh tokens (RFC 9700)", () => {
  it("racing refreshes across 4 instances never reuse a refresh token: the chain survives", async () => {
    const upstream = await ledgerServer();
    const table = await newTable(db.client);
    const clock = { t: T0 };
    const instances = Array.from({ length: 4 }, (_, i) =>
      instance(`i${i}`, db.client, table, ledgerConnection(upstream.url), ledgerSecrets, {
        now: () => clock.t,
      }),
    );
    const burst = () =>
      Promise.all(
        instances.flatMap(({ broker }) => Array.from({ length: 25 }, () => broker.getCredential("ledger"))),
      );
    await burst();
    for (let round = 1; round <= 3; round++) {
      clock.t += 250_000; // inside the skew every round
      const results = await burst();
      // While one instance refreshes, the others may still serve the old, still-valid token.
      const served = new Set(results.map((r) => r.headers.Authorization));
      expect(served.has(`Bearer at-${round + 1}`)).toBe(true);
      expect([...served].every((h) => h === `Bearer at-${round}` || h === `Bearer at-${round + 1}`)).toBe(
        true,
      );
    }
    expect({
      exchanges: upstream.exchanges(),
      refreshes: upstream.refreshes(),
      reuse: upstream.reuseDetected(),
    }).toEqual({
      exchanges: 1,
      refreshes: 3,
      reuse: 0,
    });
  });

  it("a rejected refresh (chain revoked) falls back to one full exchange", async () => {
    const upstream = await ledgerServer();
    const table = await newTable(db.client);
    const clock = { t: T0 };
    const instances = Array.from({ length: 3 }, (_, i) =>
      instance(`i${i}`, db.client, table, ledgerConnection(upstream.url), ledgerSecrets, {
        now: () => clock.t,
      }),
    );
    await instances[0]?.broker.getCredential("ledger");
    upstream.revokeAll();
    clock.t += 250_000;
    await Promise.all(
      instances.flatMap(({ broker }) => Array.from({ length: 10 }, () => broker.getCredential("ledger"))),
    );
    expect({ exchanges: upstream.exchanges(), refreshes: upstream.refreshes() }).toEqual({
      exchanges: 2,
      refreshes: 1,
    });
  });
});

describe("DynamoDB token cache: abandoned leases", () => {
  it("a failed exchange after taking over a dead lease still drops the suspect refresh token", async () => {
    const upstream = await ledgerServer();
    const table = await newTable(db.client);
    const clock = { t: T0 };
    const a = instance("a", db.client, table, ledgerConnection(upstream.url), ledgerSecrets, {
      now: () => clock.t,
    });
    await a.broker.getCredential("ledger");
    const key = a.broker.itemKeyOf("ledger") as string;
    clock.t += 250_000; // inside the skew
    await a.store.acquireLease(key, "died-mid-refresh", clock.t, 25_000);
    clock.t += 25_000; // its lease ran out; the access token has 25 s left
    upstream.options.fault = (res) => res.writeHead(503).end();
    const b = instance("b", db.client, table, ledgerConnection(upstream.url), ledgerSecrets, {
      now: () => clock.t,
    });
    // The exchange fails: the still-usable token is served, and rt-1 is gone from the table.
    expect((await b.broker.getCredential("ledger")).headers.Authorization).toBe("Bearer at-1");
    expect(await b.store.read(key)).toMatchObject({ tokens: { accessToken: "at-1" } });
    expect((await b.store.read(key))?.tokens?.refreshToken).toBeUndefined();
    expect((await b.store.read(key))?.leaseOwner).toBeUndefined();
    upstream.options.fault = undefined;
    const c = instance("c", db.client, table, ledgerConnection(upstream.url), ledgerSecrets, {
      now: () => clock.t,
    });
    expect((await c.broker.getCredential("ledger")).headers.Authorization).toBe("Bearer at-2");
    expect({ refreshes: upstream.refreshes(), exchanges: upstream.exchanges() }).toEqual({
      refreshes: 0,
      exchanges: 2,
    });
  });
});

describe("DynamoDB token cache: tokens sealed by the broker", () => {
  const rawItem = async (table: string, key: string) =>
    (
      await db.client.send(
        new GetItemCommand({ TableName: table, Key: { pk: { S: key } }, ConsistentRead: true }),
      )
    ).Item as Record<string, AttributeValue>;

  it("a reader of the table sees no live token: both fields sealed, the data key wrapped", async () => {
    const upstream = await ledgerServer();
    const table = await newTable(db.client);
    const a = instance("a", db.client, table, ledgerConnection(upstream.url), ledgerSecrets, {
      now: Date.now,
    });
    expect((await a.broker.getCredential("ledger")).headers.Authorization).toBe("Bearer at-1");
    const item = await rawItem(table, a.broker.itemKeyOf("ledger") as string);
    const dump = JSON.stringify(item);
    expect(dump).not.toContain("at-1");
    expect(dump).not.toContain("rt-1");
    expect(item.accessToken?.S).toMatch(/^v1\./);
    expect(item.refreshToken?.S).toMatch(/^v1\./);
    expect(item.dataKey?.S).toBeTruthy();
    // Another instance (same stage key) opens it.
    const b = instance("b", db.client, table, ledgerConnection(upstream.url), ledgerSecrets, {
      now: Date.now,
    });
    expect(await b.broker.getCredential("ledger")).toMatchObject({
      headers: { Authorization: "Bearer at-1" },
      source: "shared",
    });
  });

  it("an item copied under another connection's key is not served there", async () => {
    const upstream = await ledgerServer();
    const table = await newTable(db.client);
    const connections = {
      ...ledgerConnection(upstream.url),
      other: { preset: "ledger-enterprise", secret: "ledger", baseUrl: upstream.url, workspace: "ws2" },
    };
    const a = instance("a", db.client, table, connections, ledgerSecrets, { now: Date.now });
    await a.broker.getCredential("ledger");
    const item = await rawItem(table, a.broker.itemKeyOf("ledger") as string);
    const otherKey = a.broker.itemKeyOf("other") as string;
    await db.client.send(new PutItemCommand({ TableName: table, Item: { ...item, pk: { S: otherKey } } }));
    const b = instance("b", db.client, table, connections, ledgerSecrets, { now: Date.now });
    upstream.options.fault = (res) => res.writeHead(503).end();
    // The copy does not open under "other": nothing usable, so the (failing) upstream is asked.
    await expect(b.broker.getCredential("other")).rejects.toMatchObject({ status: 503 });
    expect((await b.broker.getCredential("ledger")).headers.Authorization).toBe("Bearer at-1");
  });

  it("an item written in plaintext before encryption is served once and sealed in place", async () => {
    const upstream = await ledgerServer();
    const table = await newTable(db.client);
    const a = instance("a", db.client, table, ledgerConnection(upstream.url), ledgerSecrets, {
      now: Date.now,
    });
    const key = a.broker.itemKeyOf("ledger") as string;
    const now = Date.now();
    await db.client.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          pk: { S: key },
          accessToken: { S: "legacy-access" },
          refreshToken: { S: "legacy-refresh" },
          expiresAt: { N: String(now + 300_000) },
          refreshExpiresAt: { N: String(now + 1_800_000) },
          obtainedAt: { N: String(now) },
          secretVersion: { S: "v1" },
          version: { N: "3" },
        },
      }),
    );
    expect(await a.broker.getCredential("ledger")).toMatchObject({
      headers: { Authorization: "Bearer legacy-access" },
      source: "shared",
    });
    const item = await rawItem(table, key);
    expect(JSON.stringify(item)).not.toContain("legacy-");
    expect(item.version?.N).toBe("3");
    expect(await a.store.read(key)).toMatchObject({
      tokens: { accessToken: "legacy-access", refreshToken: "legacy-refresh" },
    });
    expect(upstream.exchanges()).toBe(0);
  });
});

describe("DynamoDB token cache: secret rotation", () => {
  it("a new secret version invalidates tokens obtained with the old one, on every instance", async () => {
    const upstream = await tokenServer();
    const table = await newTable(db.client);
    const clock = { t: T0 };
    const a = instance("a", db.client, table, ccConnection(`${upstream.url}/token`), ccSecrets, {
      now: () => clock.t,
    });
    const b = instance("b", db.client, table, ccConnection(`${upstream.url}/token`), ccSecrets, {
      now: () => clock.t,
    });
    await a.broker.getCredential("cc");
    await b.broker.getCredential("cc");
    expect(upstream.tokenCalls()).toBe(1);
    b.secrets.set("cc", ccSecrets.cc, "v2"); // b sees the rotation first
    expect((await b.broker.getCredential("cc")).headers.Authorization).toBe("Bearer token-2");
    // a still holds v1 in its secret cache: it sees a token from another version, re-reads, adopts it.
    a.secrets.set("cc", ccSecrets.cc, "v2");
    clock.t += 1_000;
    const fresh = instance(
      "c",
      db.client,
      table,
      ccConnection(`${upstream.url}/token`),
      { cc: ccSecrets.cc },
      { now: () => clock.t },
    );
    fresh.secrets.set("cc", ccSecrets.cc, "v2");
    expect((await fresh.broker.getCredential("cc")).headers.Authorization).toBe("Bearer token-2");
    expect(upstream.tokenCalls()).toBe(2);
  });

  it("an instance with a stale secret adopts the newer version instead of refreshing with it", async () => {
    const upstream = await tokenServer();
    const table = await newTable(db.client);
    const clock = { t: T0 };
    const a = instance("a", db.client, table, ccConnection(`${upstream.url}/token`), ccSecrets, {
      now: () => clock.t,
    });
    a.secrets.set("cc", ccSecrets.cc, "v2");
    await a.broker.getCredential("cc"); // token from v2 in the table
    const stale = instance("s", db.client, table, ccConnection(`${upstream.url}/token`), ccSecrets, {
      now: () => clock.t,
    }); // v1 cached
    const originalGet = stale.secrets.get.bind(stale.secrets);
    stale.secrets.get = async (id, options) => {
      if (options?.forceRefresh) stale.secrets.set("cc", ccSecrets.cc, "v2"); // the re-read sees v2
      return originalGet(id, options);
    };
    expect((await stale.broker.getCredential("cc")).headers.Authorization).toBe("Bearer token-1");
    expect(stale.secrets.forcedReads.get("cc")).toBe(1);
    expect(upstream.tokenCalls()).toBe(1);
  });

  it("an upstream 401 leads to exactly one forced secret re-read", async () => {
    const upstream = await ledgerServer();
    const table = await newTable(db.client);
    const a = instance(
      "a",
      db.client,
      table,
      { ledger: { preset: "ledger-enterprise", secret: "ledger", baseUrl: upstream.url, workspace: "ws" } },
      { ledger: { apiKeyId: "key-id", apiKeySecret: "old" } },
      { now: () => T0 },
    );
    await expect(a.broker.getCredential("ledger")).rejects.toBeInstanceOf(UpstreamCredentialsRejectedError);
    expect(a.secrets.forcedReads.get("ledger")).toBe(1);
    expect(upstream.exchanges()).toBe(1);
  });
});

describe("DynamoDB unavailable", () => {
  it("DynamoDB stopped mid-test: requests still succeed via the upstream", async () => {
    const upstream = await tokenServer({ expiresIn: 300 });
    const ddb = await startDynamoDbLocal();
    // Telemetry off and one shared database; nothing written into the work tree.
    expect(ddb.process.spawnargs).toEqual(
      expect.arrayContaining(["-disableTelemetry", "-sharedDb", "-inMemory"]),
    );
    expect(existsSync("dynamodb-local-metadata.json")).toBe(false);
    const ownClient = localDynamoDbClient(ddb.endpoint);
    db.closers.push(async () => {
      ownClient.destroy();
      await ddb.stop();
    });
    const table = await newTable(ownClient);
    const clock = { t: T0 };
    const a = instance("a", ownClient, table, ccConnection(`${upstream.url}/token`), ccSecrets, {
      now: () => clock.t,
    });
    await a.broker.getCredential("cc");
    await ddb.stop();

    // A cold instance (empty memory) and a warm one past expiry both get through without DynamoDB.
    const cold = instance("cold", ownClient, table, ccConnection(`${upstream.url}/token`), ccSecrets, {
      now: () => clock.t,
    });
    const results = await Promise.all(Array.from({ length: 10 }, () => cold.broker.getCredential("cc")));
    expect(new Set(results.map((r) => r.source))).toEqual(new Set(["upstream"]));
    expect(upstream.tokenCalls()).toBe(2); // one per instance: the in-process single flight still holds
    expect((await cold.broker.getCredential("cc")).source).toBe("memory");
    clock.t += 300_000;
    expect((await a.broker.getCredential("cc")).source).toBe("upstream");
  });
});

describe("DynamoDB token cache: one read per decision", () => {
  it("the breaker is checked on the item the cache read: no separate health read", async () => {
    const upstream = await tokenServer({ expiresIn: 300 });
    const table = await newTable(db.client);
    const clock = { t: T0 };
    const a = instance("a", db.client, table, ccConnection(`${upstream.url}/token`), ccSecrets, {
      now: () => clock.t,
    });
    let healthReads = 0;
    const readHealth = a.health.readHealth.bind(a.health);
    a.health.readHealth = async (key) => {
      healthReads++;
      return readHealth(key);
    };
    await a.broker.getCredential("cc");
    clock.t += 300_000; // expired: a refresh under the lease
    await a.broker.getCredential("cc");
    expect(upstream.tokenCalls()).toBe(2);
    expect(healthReads).toBe(0);
  });
});

describe("DynamoDB stalled", () => {
  it("a table that accepts connections and never answers: every call is bounded, then the upstream serves", async () => {
    const upstream = await tokenServer({ expiresIn: 300 });
    const sockets: Socket[] = [];
    const stalled = createNetServer((socket) => void sockets.push(socket)); // reads, never answers
    await new Promise<void>((resolve) => stalled.listen(0, "127.0.0.1", resolve));
    db.closers.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => stalled.close(resolve));
    });
    // The deployed client's settings, pointed at the stalled endpoint.
    const client = new DynamoDBClient({
      ...boundedAwsClient(),
      endpoint: `http://127.0.0.1:${(stalled.address() as AddressInfo).port}`,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    db.closers.push(async () => client.destroy());
    const a = instance("a", client, "tokens", ccConnection(`${upstream.url}/token`), ccSecrets, {
      now: () => T0,
    });
    const started = performance.now();
    const credential = await a.broker.getCredential("cc");
    const elapsed = performance.now() - started;
    expect(credential.source).toBe("upstream");
    expect(upstream.tokenCalls()).toBe(1);
    // One table call (the item; the breaker reads nothing more), at most maxAttempts of
    // requestTimeoutMs, plus the SDK's short retry delay: seconds, not the Lambda timeout.
    const { maxAttempts, requestTimeoutMs } = AWS_CALL_LIMITS;
    expect(elapsed).toBeLessThan(maxAttempts * requestTimeoutMs + 1_000);
    expect(sockets.length).toBeGreaterThan(0);
  });
});

describe("DynamoDB token cache: bounded by the invocation", () => {
  it("a lease never outlives the Lambda invocation that took it", async () => {
    const upstream = await tokenServer({ delayMs: 0 });
    const table = await newTable(db.client);
    const clock = { t: T0 };
    const a = instance("a", db.client, table, ccConnection(`${upstream.url}/token`), ccSecrets, {
      now: () => clock.t,
    });
    const key = a.broker.itemKeyOf("cc") as string;
    let leaseSeen: number | undefined;
    const originalSave = a.store.save.bind(a.store);
    a.store.save = async (...args) => {
      leaseSeen = (await a.store.read(key))?.leaseExpiresAt;
      return originalSave(...args);
    };
    // 3 s left in this invocation: the lease ends then, not after the default 25 s.
    await runWithDeadline(Date.now() + 3_000, () => a.broker.getCredential("cc"));
    expect(leaseSeen).toBeGreaterThan(T0);
    expect(leaseSeen).toBeLessThanOrEqual(T0 + 3_000);
  });
});

import { describe, expect, it } from "vitest";
import { UpstreamCredentialsRejectedError } from "../../lib/errors.ts";
import { startLedgerServer } from "../helpers/ledger-server.ts";
import { sendJson, startServer } from "../helpers/http-server.ts";
import { startOidcServer } from "../helpers/oidc-server.ts";
import { instance, newTable, useDynamoDbLocal } from "../helpers/shared-brokers.ts";

const db = useDynamoDbLocal();
const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);

/**
 * Dead credentials over 4 instances sharing DynamoDB Local: 200 concurrent requests cost the
 * upstream exactly one call (the first refresh records the rejection in the shared item before it
 * releases the lease; everyone else reads the open breaker and answers at once), every caller gets
 * upstream-credentials-rejected, one probe after the backoff, and a rotated secret works at once.
 */
async function scenario(
  upstream: { url: string; calls: () => number },
  connection: Record<string, unknown>,
  wrong: Record<string, string>,
  right: Record<string, string>,
) {
  const table = await newTable(db.client);
  const clock = { t: T0 };
  const instances = ["a", "b", "c", "d"].map((id) =>
    instance(id, db.client, table, { conn: connection }, { conn: wrong }, { now: () => clock.t }),
  );
  const burst = () =>
    Promise.allSettled(
      instances.flatMap(({ broker }) => Array.from({ length: 50 }, () => broker.getCredential("conn"))),
    );

  const first = await burst();
  expect(
    first.every((r) => r.status === "rejected" && r.reason instanceof UpstreamCredentialsRejectedError),
  ).toBe(true);
  // The caller whose request reached the upstream is told when to come back, like every other.
  expect(
    first.map(
      (r) => ((r as PromiseRejectedResult).reason as UpstreamCredentialsRejectedError).retryAfterSeconds,
    ),
  ).toEqual(first.map(() => 30));
  expect(upstream.calls()).toBe(1);
  const health = await instances[0]?.health.readHealth(instances[0].broker.itemKeyOf("conn") as string);
  expect(health).toMatchObject({
    lastOutcome: "failed",
    lastProblemType: "urn:token-broker:problem:upstream-credentials-rejected",
    consecutiveFailures: 1,
    rejectedUntil: T0 + 30_000,
    rejectedSecretVersion: "v1",
  });

  // Still inside the backoff: nothing reaches the upstream, answers carry when to come back.
  clock.t = T0 + 10_000;
  const second = await burst();
  expect(upstream.calls()).toBe(1);
  const reason = (second[0] as PromiseRejectedResult).reason as UpstreamCredentialsRejectedError;
  expect(reason.retryAfterSeconds).toBe(20);

  // Backoff over: one probe (the lease holder), refused again, backoff doubled.
  clock.t = T0 + 31_000;
  await burst();
  expect(upstream.calls()).toBe(2);
  expect(
    await instances[1]?.health.readHealth(instances[1].broker.itemKeyOf("conn") as string),
  ).toMatchObject({
    consecutiveFailures: 2,
    rejectedUntil: T0 + 31_000 + 60_000,
  });

  // The operator rotates the secret to the right value: the next request succeeds, breaker or not.
  for (const { secrets } of instances) secrets.set("conn", right, "v2");
  clock.t += 1_000;
  const rotated = await instances[2]?.broker.getCredential("conn");
  expect(rotated?.headers.Authorization).toMatch(/^Bearer /);
  expect(upstream.calls()).toBe(3);
  expect(
    await instances[3]?.health.readHealth(instances[3].broker.itemKeyOf("conn") as string),
  ).toMatchObject({
    lastOutcome: "ok",
    consecutiveFailures: 0,
  });
  expect(
    (await instances[3]?.health.readHealth(instances[3].broker.itemKeyOf("conn") as string))?.rejectedUntil,
  ).toBeUndefined();
}

describe("persistent refusals back off across instances, whatever the 4xx", () => {
  it.each([
    ["invalid_scope (400)", 400, { error: "invalid_scope" }],
    ["access_denied (403)", 403, { error: "access_denied" }],
    ["a wrong installation (404)", 404, { message: "Not Found" }],
  ])("%s: 200 requests over 4 instances cost one call; one probe per backoff", async (_, status, body) => {
    let calls = 0;
    const upstream = await startServer((_req, res) => {
      calls++;
      sendJson(res, status, body);
    });
    db.closers.push(upstream.close);
    const table = await newTable(db.client);
    const clock = { t: T0 };
    const connection = {
      scheme: "oauth2-client-credentials",
      secret: "conn",
      tokenUrl: `${upstream.url}/token`,
      scope: "not-granted",
    };
    const instances = ["a", "b", "c", "d"].map((id) =>
      instance(
        id,
        db.client,
        table,
        { conn: connection },
        { conn: { clientId: "svc", clientSecret: "svc-secret-0123456789" } },
        { now: () => clock.t },
      ),
    );
    const burst = () =>
      Promise.allSettled(
        instances.flatMap(({ broker }) => Array.from({ length: 50 }, () => broker.getCredential("conn"))),
      );
    const first = await burst();
    expect(calls).toBe(1);
    for (const result of first) {
      expect(result.status).toBe("rejected");
      expect((result as PromiseRejectedResult).reason).toMatchObject({
        slug: "upstream-error",
        upstreamStatus: status,
        retryAfterSeconds: 30,
      });
    }
    clock.t = T0 + 10_000;
    await burst();
    expect(calls).toBe(1);
    clock.t = T0 + 31_000;
    await burst();
    expect(calls).toBe(2);
    const health = await instances[0]?.health.readHealth(instances[0].broker.itemKeyOf("conn") as string);
    expect(health).toMatchObject({ consecutiveFailures: 2, rejectedUntil: T0 + 31_000 + 60_000 });
  });

  it("an upstream 503 with Retry-After under 100 concurrent requests over 4 instances costs one call", async () => {
    let calls = 0;
    const upstream = await startServer((_req, res) => {
      calls++;
      sendJson(res, 503, { error: "maintenance" }, { "retry-after": "30" });
    });
    db.closers.push(upstream.close);
    const table = await newTable(db.client);
    const clock = { t: T0 };
    const instances = ["a", "b", "c", "d"].map((id) =>
      instance(
        id,
        db.client,
        table,
        { conn: { scheme: "oauth2-client-credentials", secret: "conn", tokenUrl: `${upstream.url}/token` } },
        { conn: { clientId: "svc", clientSecret: "svc-secret-0123456789" } },
        { now: () => clock.t },
      ),
    );
    const results = await Promise.allSettled(
      instances.flatMap(({ broker }) => Array.from({ length: 25 }, () => broker.getCredential("conn"))),
    );
    expect(calls).toBe(1);
    for (const result of results) {
      expect((result as PromiseRejectedResult).reason).toMatchObject({ slug: "upstream-unavailable" });
      expect((result as PromiseRejectedResult).reason.retryAfterSeconds).toBeGreaterThanOrEqual(30);
    }
  });
});

describe("the lease winner re-checks what was written before it won", () => {
  const connections = (url: string) => ({
    conn: { scheme: "oauth2-client-credentials", secret: "conn", tokenUrl: `${url}/token` },
  });
  const secrets = { conn: { clientId: "svc", clientSecret: "svc-secret-0123456789" } };

  it.each([
    ["a cooldown (503 + Retry-After)", 503, { error: "maintenance" }, "upstream-unavailable"],
    ["an open breaker (invalid_client)", 401, { error: "invalid_client" }, "upstream-credentials-rejected"],
  ])("%s recorded between its read and its lease: no second upstream call", async (_, status, body, slug) => {
    let calls = 0;
    const upstream = await startServer((_req, res) => {
      calls++;
      sendJson(res, status, body, { "retry-after": "30" });
    });
    db.closers.push(upstream.close);
    const table = await newTable(db.client);
    const clock = { t: T0 };
    const a = instance("a", db.client, table, connections(upstream.url), secrets, { now: () => clock.t });
    const b = instance("b", db.client, table, connections(upstream.url), secrets, { now: () => clock.t });
    // B has read the item (nothing recorded yet) when A's whole refresh runs and fails; only then
    // does B try for the lease, which A has released.
    const acquire = b.store.acquireLease.bind(b.store);
    b.store.acquireLease = async (...args) => {
      await a.broker.getCredential("conn").catch(() => {});
      return acquire(...args);
    };
    await expect(b.broker.getCredential("conn")).rejects.toMatchObject({ slug });
    expect(calls).toBe(1);
  });
});

describe("dead credentials: bounded upstream calls, shared across instances", () => {
  it("Ledger-shaped exchange (Ledger Enterprise) with a wrong API key secret", async () => {
    const ledger = await startLedgerServer({
      workspace: "ws",
      apiKeyId: "key-id",
      apiKeySecret: "the-right-secret",
    });
    db.closers.push(ledger.close);
    await scenario(
      { url: ledger.url, calls: () => ledger.exchanges() + ledger.refreshes() },
      { preset: "ledger-enterprise", secret: "conn", baseUrl: ledger.url, workspace: "ws" },
      { apiKeyId: "key-id", apiKeySecret: "revoked-secret" },
      { apiKeyId: "key-id", apiKeySecret: "the-right-secret" },
    );
  });

  it("oidc-provider client credentials (TokenOS) with a revoked client secret", async () => {
    const oidc = await startOidcServer([
      {
        client_id: "svc",
        client_secret: "the-right-client-secret",
        token_endpoint_auth_method: "client_secret_basic",
      },
    ]);
    db.closers.push(oidc.close);
    await scenario(
      { url: oidc.tokenUrl, calls: oidc.tokenRequests },
      { preset: "tokenos", secret: "conn", tokenUrl: oidc.tokenUrl, scope: "read" },
      { clientId: "svc", clientSecret: "a-revoked-client-secret" },
      { clientId: "svc", clientSecret: "the-right-client-secret" },
    );
  });
});

import { describe, expect, it } from "vitest";
import { UpstreamCredentialsRejectedError } from "../../lib/errors.ts";
import { startLedgerServer } from "../helpers/ledger-server.ts";
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
  expect(upstream.calls()).toBe(1);
  const health = await instances[0]?.store.readHealth(instances[0].broker.cacheKeyOf("conn") as string);
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
    await instances[1]?.store.readHealth(instances[1].broker.cacheKeyOf("conn") as string),
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
    await instances[3]?.store.readHealth(instances[3].broker.cacheKeyOf("conn") as string),
  ).toMatchObject({
    lastOutcome: "ok",
    consecutiveFailures: 0,
  });
  expect(
    (await instances[3]?.store.readHealth(instances[3].broker.cacheKeyOf("conn") as string))?.rejectedUntil,
  ).toBeUndefined();
}

describe("dead credentials: bounded upstream calls, shared across instances", () => {
  it("Ledger-shaped exchange (seed 004) with a wrong API key secret", async () => {
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

  it("oidc-provider client credentials (seed 001) with a revoked client secret", async () => {
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

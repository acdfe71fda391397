import { describe, expect, it } from "vitest";
import { proxyRequest } from "../../lib/proxy/proxy-request.ts";
import { startLedgerServer } from "../helpers/ledger-server.ts";
import { instance, newTable, useDynamoDbLocal } from "../helpers/shared-brokers.ts";

const db = useDynamoDbLocal();

describe("proxy over the shared cache (DynamoDB Local)", () => {
  it("50 concurrent proxied requests over 4 instances after the upstream revoked the token: one refresh", async () => {
    const ledger = await startLedgerServer({ workspace: "ws" });
    db.closers.push(ledger.close);
    const table = await newTable(db.client);
    const connections = {
      ledger: {
        preset: "ledger-enterprise",
        secret: "ledger",
        baseUrl: ledger.url,
        workspace: "ws",
        proxy: { baseUrl: ledger.url, allow: [{ methods: ["GET"], paths: ["/v1/accounts"] }] },
      },
    };
    const secrets = { ledger: { apiKeyId: "key-id", apiKeySecret: "key-secret" } };
    const instances = ["a", "b", "c", "d"].map((id) =>
      instance(id, db.client, table, connections, secrets, { now: Date.now }),
    );
    await instances[0]?.broker.getCredential("ledger");
    ledger.revokeAccessTokens();
    const before = { exchanges: ledger.exchanges(), refreshes: ledger.refreshes() };

    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        proxyRequest((instances[i % 4] as (typeof instances)[number]).broker, {
          connection: "ledger",
          method: "GET",
          rawPath: "v1/accounts",
          rawQuery: "",
          headers: {},
          body: Buffer.alloc(0),
        }),
      ),
    );

    expect(responses.map((r) => r.statusCode)).toEqual(Array(50).fill(200));
    // One new token for everyone: the first 401 per cache refreshes, the rest find it replaced.
    expect(ledger.refreshes() - before.refreshes + ledger.exchanges() - before.exchanges).toBe(1);
    expect(ledger.reuseDetected()).toBe(0);
    // Each request that met the revoked token retried exactly once.
    expect(ledger.resourceCalls()).toBe(50 + ledger.resourceRejections());
    expect(ledger.resourceRejections()).toBeGreaterThan(0);
  });
});

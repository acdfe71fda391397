import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { createTokenHandler } from "../../functions/token/handler.ts";
import { tokenIdOf } from "../../lib/broker.ts";
import { parseConfig } from "../../lib/config/broker-config.ts";
import { startLedgerServer } from "../helpers/ledger-server.ts";
import { instance, newTable, useDynamoDbLocal } from "../helpers/shared-brokers.ts";
import { readSettings } from "../../lib/runtime/settings.ts";

const db = useDynamoDbLocal();
const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const secrets = { ledger: { apiKeyId: "key-id", apiKeySecret: "key-secret" } };

async function setup(forcedRefresh: unknown, instances = 4) {
  const ledger = await startLedgerServer({ workspace: "ws" });
  db.closers.push(ledger.close);
  const table = await newTable(db.client);
  const clock = { t: T0 };
  const connections = {
    ledger: {
      preset: "ledger-enterprise",
      secret: "ledger",
      baseUrl: ledger.url,
      workspace: "ws",
      forcedRefresh,
      access: [{ scopes: ["broker/token"] }],
    },
  };
  const all = Array.from({ length: instances }, (_, i) =>
    instance(`i${i}`, db.client, table, connections, secrets, { now: () => clock.t }),
  );
  const upstreamCalls = () => ledger.exchanges() + ledger.refreshes();
  return { ledger, all, clock, upstreamCalls };
}

describe("forced refresh (a caller reports the upstream rejected its token)", () => {
  it("100 concurrent reports of the same token over 4 instances: exactly one refresh; an older token: none", async () => {
    const { all, upstreamCalls } = await setup(true);
    const first = await all[0]?.broker.getCredential("ledger");
    expect(first?.tokenId).toBe(tokenIdOf("at-1"));
    for (const { broker } of all.slice(1)) await broker.getCredential("ledger"); // every instance holds at-1
    const before = upstreamCalls();

    const reports = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        (all[i % 4] as (typeof all)[number]).broker.getCredential("ledger", {
          rejectedTokenId: first?.tokenId as string,
          callerReported: true,
        }),
      ),
    );
    expect(upstreamCalls() - before).toBe(1);
    expect(new Set(reports.map((r) => r.headers.Authorization))).toEqual(new Set(["Bearer at-2"]));

    // A late report naming the old token: it is no longer cached anywhere, so nothing refreshes.
    const late = await all[3]?.broker.getCredential("ledger", {
      rejectedTokenId: first?.tokenId as string,
      callerReported: true,
    });
    expect(late?.headers.Authorization).toBe("Bearer at-2");
    expect(upstreamCalls() - before).toBe(1);
  });

  it("through the token route: opt-in, rate-limited, and the tokenId never is the token", async () => {
    const { all, clock, upstreamCalls } = await setup({ minIntervalSeconds: 60 }, 1);
    const handler = createTokenHandler(() => all[0]?.broker as never, readSettings({}));
    const context = {
      awsRequestId: "r",
      functionName: "token",
      getRemainingTimeInMillis: () => 10_000,
    } as unknown as Context;
    const post = async (body?: object) => {
      const response = await handler(
        {
          version: "2.0",
          routeKey: "POST /v1/connections/{name}/token",
          rawPath: "/v1/connections/ledger/token",
          rawQueryString: "",
          headers: { "content-type": "application/json" },
          pathParameters: { name: "ledger" },
          requestContext: {
            http: { method: "POST", path: "/v1/connections/ledger/token" },
            requestId: "r",
            authorizer: { jwt: { claims: { sub: "u", scope: "broker/token" }, scopes: ["broker/token"] } },
          },
          ...(body ? { body: JSON.stringify(body) } : {}),
          isBase64Encoded: false,
        } as unknown as APIGatewayProxyEventV2,
        context,
      );
      return {
        status: response.statusCode,
        headers: response.headers,
        json: JSON.parse(response.body) as Record<string, unknown>,
      };
    };
    const first = await post();
    expect(first.json.tokenId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(JSON.stringify(first.json.tokenId)).not.toContain("at-1");
    const refreshed = await post({ rejectedTokenId: first.json.tokenId });
    expect(refreshed.json.headers).toEqual({ Authorization: "Bearer at-2" });
    // The new token rejected too, seconds later: rate-limited, not another upstream call.
    clock.t += 5_000;
    const calls = upstreamCalls();
    const limited = await post({ rejectedTokenId: refreshed.json.tokenId });
    expect(limited.status).toBe(429);
    expect(limited.json.type).toBe("urn:token-broker:problem:forced-refresh-rate-limited");
    expect(limited.headers["retry-after"]).toBe("55");
    expect(upstreamCalls()).toBe(calls);
    clock.t += 55_000;
    expect((await post({ rejectedTokenId: refreshed.json.tokenId })).json.headers).toEqual({
      Authorization: "Bearer at-3",
    });
    expect((await post({ rejectedTokenId: "not-a-token-id" })).status).toBe(400);
  });

  it("the interval holds across instances: the next instance's report inside it is rate-limited", async () => {
    const { all, clock, upstreamCalls } = await setup({ minIntervalSeconds: 60 }, 4);
    const report = (i: number, tokenId: string) =>
      (all[i] as (typeof all)[number]).broker.getCredential("ledger", {
        rejectedTokenId: tokenId,
        callerReported: true,
      });
    const first = await all[0]?.broker.getCredential("ledger");
    const second = await report(0, first?.tokenId as string);
    expect(second.headers.Authorization).toBe("Bearer at-2");
    const calls = upstreamCalls();
    // Every other instance now reports the new token within the interval: none may force another.
    clock.t += 5_000;
    for (const i of [1, 2, 3]) {
      await expect(report(i, second.tokenId as string)).rejects.toMatchObject({
        slug: "forced-refresh-rate-limited",
        retryAfterSeconds: 55,
      });
    }
    expect(upstreamCalls()).toBe(calls);
    clock.t += 55_000;
    expect((await report(2, second.tokenId as string)).headers.Authorization).toBe("Bearer at-3");
  });

  it("refused where not enabled, and only exchanged schemes may enable it", async () => {
    const { all } = await setup(undefined, 1);
    await expect(
      all[0]?.broker.getCredential("ledger").then(() =>
        createTokenHandler(() => all[0]?.broker as never, readSettings({}))(
          {
            routeKey: "POST /v1/connections/{name}/token",
            rawPath: "/v1/connections/ledger/token",
            headers: { "content-type": "application/json" },
            pathParameters: { name: "ledger" },
            requestContext: {
              http: { method: "POST", path: "/x" },
              authorizer: { jwt: { claims: { sub: "u", scope: "broker/token" }, scopes: ["broker/token"] } },
            },
            body: JSON.stringify({ rejectedTokenId: tokenIdOf("at-1") }),
            isBase64Encoded: false,
          } as unknown as APIGatewayProxyEventV2,
          { awsRequestId: "r", getRemainingTimeInMillis: () => 10_000 } as unknown as Context,
        ),
      ),
    ).resolves.toMatchObject({
      statusCode: 403,
      body: expect.stringContaining("forced-refresh-not-enabled"),
    });
    expect(() =>
      parseConfig({ connections: { s: { preset: "x-signature", secret: "s", forcedRefresh: true } } }),
    ).toThrow(/connections\.s\.forcedRefresh: only exchanged tokens/);
  });
});

import type { Context, ScheduledEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { createPrewarmHandler } from "../../functions/prewarm/handler.ts";
import { PROBLEM_TYPE_BASE } from "../../lib/errors.ts";
import { prewarm } from "../../lib/prewarm.ts";
import { startLedgerServer } from "../helpers/ledger-server.ts";
import { instance, newTable, useDynamoDbLocal } from "../helpers/shared-brokers.ts";
import { startTokenServer } from "../helpers/token-server.ts";
import { readSettings } from "../../lib/runtime/settings.ts";

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const WINDOW_MS = 600_000;
const db = useDynamoDbLocal();

async function fixture() {
  const shortLived = await startTokenServer({ expiresIn: 300 }); // always inside the 600 s window
  const longLived = await startTokenServer({ expiresIn: 3600 });
  const broken = await startTokenServer();
  broken.respond = () => ({ status: 500, body: { error: "server_error" } });
  db.closers.push(shortLived.close, longLived.close, broken.close);
  const cc = (url: string, prewarm = true) => ({
    scheme: "oauth2-client-credentials",
    secret: "cc",
    tokenUrl: `${url}/token`,
    clientAuth: { method: "client_secret_post" },
    prewarm,
  });
  const connections = {
    near: cc(shortLived.url),
    far: cc(longLived.url),
    broken: cc(broken.url),
    untouched: cc(shortLived.url, false),
    minted: { preset: "jet-admin", secret: "static", delivery: "headers" },
  };
  const secrets = { cc: { clientId: "client", clientSecret: "client-secret-value" }, static: { token: "t" } };
  const table = await newTable(db.client);
  const clock = { t: T0 };
  const make = (id: string) => instance(id, db.client, table, connections, secrets, { now: () => clock.t });
  return { shortLived, longLived, broken, make, clock };
}

describe("prewarm", () => {
  it("refreshes what is near expiry, leaves fresh tokens alone, isolates a failing connection", async () => {
    const { shortLived, longLived, broken, make, clock } = await fixture();
    const broker = make("prewarm-1").broker;
    const first = await prewarm(broker, { windowMs: WINDOW_MS });
    expect(first.results.map((r) => [r.connection, r.outcome])).toEqual([
      ["broken", "failed"],
      ["far", "refreshed"],
      ["near", "refreshed"],
    ]);
    expect(first.results[0]).toMatchObject({ problemType: `${PROBLEM_TYPE_BASE}upstream-error` });
    expect(broken.tokenCalls()).toBe(1); // maxAttempts 1 in these instances

    clock.t += 300_000; // the next scheduled run, 5 minutes later
    const second = await make("prewarm-2").broker.getCredential("far"); // warm for callers
    expect(second.source).toBe("shared");
    const run = await prewarm(make("prewarm-3").broker, { windowMs: WINDOW_MS });
    expect(run).toMatchObject({ refreshed: 1, fresh: 1, failed: 1 });
    expect(run.results.find((r) => r.connection === "far")?.outcome).toBe("fresh");
    expect(shortLived.tokenCalls()).toBe(2);
    expect(longLived.tokenCalls()).toBe(1);
  });

  it("is safe to run twice at once: one refresh per connection", async () => {
    const { shortLived, longLived, make } = await fixture();
    const [a, b] = await Promise.all([
      prewarm(make("p1").broker, { windowMs: WINDOW_MS }),
      prewarm(make("p2").broker, { windowMs: WINDOW_MS }),
    ]);
    expect(shortLived.tokenCalls()).toBe(1);
    expect(longLived.tokenCalls()).toBe(1);
    expect(a.refreshed + b.refreshed).toBe(2);
  });

  it("keeps a refresh-token chain alive across an hour of 5-minute runs (no re-exchange, no reuse)", async () => {
    const ledger = await startLedgerServer();
    db.closers.push(ledger.close);
    const table = await newTable(db.client);
    const clock = { t: T0 };
    const connections = {
      ledger: {
        preset: "ledger-enterprise",
        secret: "l",
        baseUrl: ledger.url,
        workspace: "ws",
        prewarm: true,
      },
    };
    const secrets = { l: { apiKeyId: "key-id", apiKeySecret: "key-secret" } };
    for (let run = 0; run < 12; run++) {
      // Each run is a fresh Lambda instance: only the table carries the chain.
      const summary = await prewarm(
        instance(`run-${run}`, db.client, table, connections, secrets, { now: () => clock.t }).broker,
        {
          windowMs: 360_000,
        },
      );
      expect(summary.failed).toBe(0);
      clock.t += 300_000;
    }
    expect({
      exchanges: ledger.exchanges(),
      refreshes: ledger.refreshes(),
      reuse: ledger.reuseDetected(),
    }).toEqual({
      exchanges: 1,
      refreshes: 11,
      reuse: 0,
    });
  });

  it("the scheduled handler returns the summary for an EventBridge event", async () => {
    const { make } = await fixture();
    const broker = make("lambda").broker;
    const handler = createPrewarmHandler(
      () => broker,
      readSettings({ BROKER_PREWARM_WINDOW_SECONDS: "600" }),
    );
    const event = {
      version: "0",
      id: "e1",
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: "123456789012",
      time: "2026-11-23T12:00:00Z",
      region: "eu-west-1",
      resources: ["arn:aws:events:eu-west-1:123456789012:rule/prewarm"],
      detail: {},
    } as ScheduledEvent;
    const summary = await handler(event, { awsRequestId: "r", functionName: "prewarm" } as Context);
    expect(summary).toMatchObject({ refreshed: 2, fresh: 0, failed: 1 });
    expect(JSON.stringify(summary)).not.toMatch(/token-\d/); // no token values in the summary
  });
});

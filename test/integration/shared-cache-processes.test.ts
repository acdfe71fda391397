import { inject } from "vitest";
import { afterEach, describe, expect, it } from "vitest";
import { type BrokerProcess, startBrokerProcess } from "../helpers/broker-process.ts";
import { sendJson } from "../helpers/http-server.ts";
import { type LedgerServer, startLedgerServer } from "../helpers/ledger-server.ts";
import { newTable, useDynamoDbLocal } from "../helpers/shared-brokers.ts";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Separate broker processes (`npm start`, each with its own memory, secrets and HTTP client) that
 * share one DynamoDB Local table: what Lambda instances are to each other.
 */
const db = useDynamoDbLocal();
const secrets = { ledger: { apiKeyId: "key-id", apiKeySecret: "key-secret" } };
const running: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

async function ledger(options: Parameters<typeof startLedgerServer>[0]): Promise<LedgerServer> {
  const server = await startLedgerServer(options);
  running.push(server);
  return server;
}

async function brokers(
  count: number,
  connection: Record<string, unknown>,
  env: Record<string, string> = {},
): Promise<BrokerProcess[]> {
  const table = await newTable(db.client);
  const started = await Promise.all(
    Array.from({ length: count }, () =>
      startBrokerProcess({
        connections: { ledger: connection },
        secrets,
        dynamoDbEndpoint: inject("dynamoDbEndpoint"),
        table,
        env,
      }),
    ),
  );
  running.push(...started.map((p) => ({ close: () => p.stop() })));
  return started;
}

describe("shared cache across processes", () => {
  it("a lease holder killed after its refresh reached the upstream: nobody replays that refresh token", async () => {
    const victim: { process?: BrokerProcess } = {};
    let killed = false;
    const eventsFile = join(mkdtempSync(join(tmpdir(), "events-")), "events.jsonl");
    const upstream = await ledger({
      // The first token lives 6 s: handed out (over the 5 s floor), already inside its skew, so the
      // next request refreshes it; a second later nobody may serve it any more.
      accessLifetimeSeconds: 6,
      onRefreshReceived: async () => {
        if (killed || !victim.process) return;
        killed = true;
        await victim.process.kill9(); // mid-refresh: the upstream rotates, the answer goes nowhere
      },
    });
    const [a, b, c, d] = (await brokers(
      4,
      {
        preset: "ledger-enterprise",
        secret: "ledger",
        baseUrl: upstream.url,
        workspace: "ws",
        skewSeconds: 10,
      },
      { BROKER_LEASE_SECONDS: "2", BROKER_EVENTS: `file:${eventsFile}` },
    )) as [BrokerProcess, BrokerProcess, BrokerProcess, BrokerProcess];
    victim.process = a;
    const issued = await a.token("ledger");
    expect(issued.status).toBe(200);
    expect(upstream.exchanges()).toBe(1);
    upstream.options.accessLifetimeSeconds = 300;

    await expect(a.token("ledger")).rejects.toThrow(); // killed while its refresh was upstream
    expect(killed).toBe(true);
    // Until the first token is under the floor, the others would rightly serve it; past it, they
    // must wait for the dead holder's lease. (Separate processes: real time, read off the token.)
    const unusableAt = Date.parse(issued.body.expiresAt as string) - 5_000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, unusableAt - Date.now() + 50)));
    const answers = await Promise.all([b.token("ledger"), c.token("ledger"), d.token("ledger")]);

    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(new Set(answers.map((r) => JSON.stringify(r.body.headers))).size).toBe(1);
    expect(upstream.reuseDetected()).toBe(0);
    expect(upstream.refreshes()).toBe(1); // only the dead process's
    expect(upstream.exchanges()).toBe(2); // the first, and the one that replaced the lost refresh
    // Callers waited for the dead holder's lease (2 s here, 25 s by default) to run out, no longer.
    for (const { ms } of answers) expect(ms).toBeLessThan(2_000 + 4_000);
    // The chain goes on from the new exchange: a later refresh is no reuse either.
    expect((await b.token("ledger")).status).toBe(200);
    expect(upstream.reuseDetected()).toBe(0);
    // Operators are told once, by the instance that took the dead holder's lease over.
    const events = readFileSync(eventsFile, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(events).toEqual([
      expect.objectContaining({
        type: "lease-holder-died",
        detail: expect.objectContaining({ connection: "ledger" }),
      }),
    ]);
  });

  it("whoever fails the refresh serves the stored token while it is usable, in every process", async () => {
    // Skew longer than the lifetime: the token is due for refresh at once, and usable for 15 s.
    const upstream = await ledger({ accessLifetimeSeconds: 20 });
    const processes = await brokers(3, {
      preset: "ledger-enterprise",
      secret: "ledger",
      baseUrl: upstream.url,
      workspace: "ws",
      skewSeconds: 30,
    });
    const [first, second] = processes as [BrokerProcess, BrokerProcess];
    const issued = await first.token("ledger");
    expect(issued.status).toBe(200);
    upstream.options.fault = (res) => sendJson(res, 503, { error: "temporarily_unavailable" });

    // A process that never held the token in memory wins the lease, fails the refresh, serves it.
    const fromSecond = await second.token("ledger");
    expect(fromSecond.status).toBe(200);
    expect(fromSecond.body.headers).toEqual(issued.body.headers);

    const burst = await Promise.all(
      processes.flatMap((p) => Array.from({ length: 10 }, () => p.token("ledger"))),
    );
    expect(burst.map((r) => r.status)).toEqual(Array(30).fill(200));
    for (const r of burst) expect(r.body.headers).toEqual(issued.body.headers);
  });

  it("a missing table stops `npm start` at once, naming the table: a configuration error, not an outage", async () => {
    await expect(
      startBrokerProcess({
        connections: {},
        secrets: {},
        dynamoDbEndpoint: inject("dynamoDbEndpoint"),
        table: "no-such-table",
      }),
    ).rejects.toThrow(/table "no-such-table" does not exist at http:\/\/127\.0\.0\.1:\d+/);
  });
});

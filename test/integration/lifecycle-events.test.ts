import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import type { LifecycleEvent } from "../../lib/events/lifecycle-events.ts";
import { type BrokerProcess, startBrokerProcess } from "../helpers/broker-process.ts";
import { sendJson, startServer } from "../helpers/http-server.ts";
import { instance, newTable, useDynamoDbLocal } from "../helpers/shared-brokers.ts";
import { startTokenServer } from "../helpers/token-server.ts";

const db = useDynamoDbLocal();
const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const cc = (url: string) => ({
  scheme: "oauth2-client-credentials",
  secret: "conn",
  tokenUrl: `${url}/token`,
  http: { maxAttempts: 1, timeoutMs: 2000 },
});
const SECRET = { clientId: "client", clientSecret: "client-secret-for-events-71a" };

/** Four simulated instances on one DynamoDB Local table, each publishing to one shared list. */
async function fleet(connection: Record<string, unknown>, fields: Record<string, string> = SECRET) {
  const table = await newTable(db.client);
  const clock = { t: T0 };
  const events: LifecycleEvent[] = [];
  const instances = ["a", "b", "c", "d"].map((id) =>
    instance(
      id,
      db.client,
      table,
      { conn: connection },
      { conn: fields },
      {
        now: () => clock.t,
        events: { publish: async (event) => void events.push(event) },
      },
    ),
  );
  const all = (perInstance = 10) =>
    Promise.allSettled(
      instances.flatMap(({ broker }) =>
        Array.from({ length: perInstance }, () => broker.getCredential("conn")),
      ),
    );
  return { instances, clock, events, all, types: () => events.map((e) => e.type) };
}

/** A token endpoint that answers `status` + `error` while `failing` is set, then tokens. */
async function flakyTokenEndpoint(status: number, error: string) {
  const state = { failing: true, url: "" };
  const server = await startServer(async (_req, res) =>
    state.failing
      ? sendJson(res, status, { error })
      : sendJson(res, 200, { access_token: "at-ok", token_type: "Bearer", expires_in: 300 }),
  );
  db.closers.push(server.close);
  state.url = server.url;
  return state;
}

describe("lifecycle events: one per state change across 4 instances", () => {
  it("credentials rejected (breaker opened), then recovered after the backoff", async () => {
    const upstream = await flakyTokenEndpoint(401, "invalid_client");
    const f = await fleet(cc(upstream.url));
    await f.all();
    await f.all();
    expect(f.types()).toEqual(["credentials-rejected"]);
    expect(f.events[0]?.detail).toMatchObject({
      connection: "conn",
      secretVersion: "v1",
      problemType: "urn:token-broker:problem:upstream-credentials-rejected",
      upstreamStatus: 401,
      retryAt: new Date(T0 + 30_000).toISOString(),
    });
    upstream.failing = false;
    f.clock.t += 31_000;
    await f.all();
    await f.all();
    expect(f.types()).toEqual(["credentials-rejected", "connection-recovered"]);
    expect(f.events[1]?.detail).toMatchObject({ connection: "conn", previousState: "credentials-rejected" });
    expect(JSON.stringify(f.events)).not.toContain(SECRET.clientSecret);
  });

  it("refreshes keep failing: one event at the third failure in a row, not one per failure or instance", async () => {
    const upstream = await flakyTokenEndpoint(500, "server_error");
    const f = await fleet(cc(upstream.url));
    for (let round = 0; round < 6; round++) {
      await f.instances[round % 4]?.broker.getCredential("conn").catch(() => undefined);
      await f.all(2);
    }
    expect(f.types()).toEqual(["refreshes-failing"]);
    expect(f.events[0]?.detail).toMatchObject({ consecutiveFailures: 3, upstreamStatus: 500 });
    upstream.failing = false;
    await f.all();
    expect(f.types()).toEqual(["refreshes-failing", "connection-recovered"]);
    expect(f.events[1]?.detail).toMatchObject({ previousState: "refreshes-failing" });
    // A single failure after recovery is not "keeps failing".
    upstream.failing = true;
    f.clock.t += 600_000;
    await f.instances[0]?.broker.getCredential("conn").catch(() => undefined);
    expect(f.types()).toHaveLength(2);
  });

  it("a new secret version: announced once, by the refresh that first obtained a token with it", async () => {
    const upstream = await startTokenServer();
    db.closers.push(upstream.close);
    const f = await fleet(cc(upstream.url));
    await f.all();
    expect(f.types()).toEqual([]); // the first token ever is no rotation
    for (const { secrets } of f.instances) secrets.set("conn", SECRET, "v2");
    await f.all();
    await f.all();
    expect(f.types()).toEqual(["secret-version-first-used"]);
    expect(f.events[0]?.detail).toMatchObject({ secretVersion: "v2", previousSecretVersion: "v1" });
  });

  it("a certificate within the warning window of its notAfter: one event for the certificate, across instances", async () => {
    const dir = mkdtempSync(join(tmpdir(), "expiring-"));
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "10", "-subj", "/CN=expiring"].concat([
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ]),
      { stdio: "ignore" },
    );
    const certificate = readFileSync(join(dir, "cert.pem"), "utf8");
    const privateKey = readFileSync(join(dir, "key.pem"), "utf8");
    const upstream = await startTokenServer();
    db.closers.push(upstream.close);
    const connection = {
      ...cc(upstream.url),
      clientAuth: { method: "private_key_jwt", algorithm: "RS256", certificateField: "certificate" },
    };
    // The clock is real here: the certificate's notAfter is openssl's now + 10 days.
    const f = await fleet(connection, { clientId: "client", privateKey, certificate });
    f.clock.t = Date.now();
    await f.all(5);
    expect(f.types()).toEqual(["credential-near-expiry"]);
    expect(f.events[0]?.detail).toMatchObject({ what: "certificate", field: "certificate", daysLeft: 9 });
    expect(JSON.stringify(f.events)).not.toContain("BEGIN");
  });
});

describe("lifecycle events: expiries a secret declares", () => {
  it("a client secret expiring within the window: one event across instances, none while it is far", async () => {
    const upstream = await startTokenServer();
    db.closers.push(upstream.close);
    const expiresAt = new Date(T0 + 40 * 86_400_000).toISOString();
    const f = await fleet(
      { ...cc(upstream.url), expiresAtField: "clientSecretExpiresAt" },
      { ...SECRET, clientSecretExpiresAt: expiresAt },
    );
    await f.all(3);
    expect(f.types()).toEqual([]); // 40 days left, the window is 30
    f.clock.t += 11 * 86_400_000;
    await f.all(3);
    await f.all(3);
    expect(f.types()).toEqual(["credential-near-expiry"]);
    expect(f.events[0]?.detail).toMatchObject({
      what: "secret",
      field: "clientSecretExpiresAt",
      expiresAt,
      daysLeft: 29,
    });
  });
});

describe("lifecycle events across processes (npm start x 4 on DynamoDB Local)", () => {
  const processes: BrokerProcess[] = [];
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
  });

  it("refreshes failing, then recovered: one event per transition in the shared file", async () => {
    const upstream = await flakyTokenEndpoint(500, "server_error");
    const table = await newTable(db.client);
    const file = join(mkdtempSync(join(tmpdir(), "events-")), "events.jsonl");
    for (let i = 0; i < 4; i++) {
      processes.push(
        await startBrokerProcess({
          connections: { conn: cc(upstream.url) },
          secrets: { conn: SECRET },
          dynamoDbEndpoint: inject("dynamoDbEndpoint"),
          table,
          env: { BROKER_EVENTS: `file:${file}` },
        }),
      );
    }
    const events = () => {
      try {
        return readFileSync(file, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as LifecycleEvent);
      } catch {
        return [];
      }
    };
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(processes.flatMap((p) => [p.token("conn"), p.token("conn")]));
      expect(answers.every((a) => a.status >= 500)).toBe(true);
    }
    expect(events().map((e) => e.type)).toEqual(["refreshes-failing"]);
    upstream.failing = false;
    for (let round = 0; round < 2; round++) {
      const answers = await Promise.all(processes.flatMap((p) => [p.token("conn"), p.token("conn")]));
      expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    }
    expect(events().map((e) => e.type)).toEqual(["refreshes-failing", "connection-recovered"]);
    expect(events().every((e) => (e as { source?: string }).source === "token-broker")).toBe(true);
  }, 60_000);
});

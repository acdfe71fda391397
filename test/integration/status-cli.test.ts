import { spawnSync } from "node:child_process";
import { describe, expect, inject, it } from "vitest";
import { Broker } from "../../lib/broker.ts";
import { DynamoDbTokenStore } from "../../lib/cache/dynamodb-token-store.ts";
import { DynamoDbHealthStore } from "../../lib/health/dynamodb-health-store.ts";
import { parseConfig } from "../../lib/config/broker-config.ts";
import { MemorySecrets } from "../helpers/secrets.ts";
import { newTable, testSealer, useDynamoDbLocal } from "../helpers/shared-brokers.ts";
import { deliveredAsHeaders } from "../helpers/delivery.ts";

const db = useDynamoDbLocal();

const exchanged = (skewSeconds = 60) => ({
  scheme: "oauth2-client-credentials",
  secret: "cc",
  tokenUrl: "https://idp.example.com/oauth2/token",
  skewSeconds,
});

describe("npm run broker -- status", () => {
  it("shows every state from DynamoDB Local, and never a value", async () => {
    const table = await newTable(db.client);
    const connections = {
      fresh: exchanged(),
      skew: exchanged(),
      expired: exchanged(),
      none: exchanged(),
      leased: exchanged(),
      cooling: exchanged(),
      dead: exchanged(),
      minted: { preset: "x-signature", secret: "signed" },
    };
    const config = parseConfig({ connections: deliveredAsHeaders(connections) });
    const broker = new Broker({ config, secrets: new MemorySecrets() });
    const store = new DynamoDbTokenStore(db.client, table, testSealer);
    const now = Date.now();
    const key = (name: string) => broker.itemKeyOf(name) as string;
    const values: string[] = [];
    const put = async (name: string, lifetimeMs: number, refresh = false) => {
      const tokens = {
        accessToken: `live-access-token-of-${name}-${now}`,
        expiresAt: now + lifetimeMs,
        obtainedAt: now - 1000,
        secretVersion: "v7",
        ...(refresh
          ? { refreshToken: `live-refresh-token-of-${name}-${now}`, refreshExpiresAt: now + 1_800_000 }
          : {}),
      };
      values.push(tokens.accessToken, ...(tokens.refreshToken ? [tokens.refreshToken] : []));
      await store.acquireLease(key(name), "seed", now, 25_000);
      await store.save(key(name), tokens, "seed", 0);
    };
    await put("fresh", 300_000, true);
    await put("skew", 30_000);
    await put("expired", -5_000);
    await put("leased", 300_000);
    await store.acquireLease(key("leased"), "instance-7", now, 20_000);
    await put("cooling", 300_000);
    await store.acquireLease(key("cooling"), "instance-8", now, 20_000);
    await store.releaseLease(key("cooling"), "instance-8", { cooldownUntil: now + 30_000 });
    await new DynamoDbHealthStore(db.client, table).recordFailure(key("dead"), {
      at: now,
      problemType: "urn:token-broker:problem:upstream-credentials-rejected",
      upstreamStatus: 401,
      upstreamError: "invalid_client",
      rejectedSecretVersion: "v7",
    });

    const run = (...args: string[]) =>
      spawnSync(process.execPath, ["bin/broker.ts", "status", ...args], {
        encoding: "utf8",
        env: {
          ...process.env,
          BROKER_CONFIG: JSON.stringify({ connections: deliveredAsHeaders(connections) }),
          AWS_ENDPOINT_URL_DYNAMODB: inject("dynamoDbEndpoint"),
          POWERTOOLS_LOG_LEVEL: "ERROR",
        },
      });
    const json = run("--json", "--table", table);
    expect(json.status, json.stderr).toBe(0);
    const rows = Object.fromEntries(
      (
        JSON.parse(json.stdout) as { connections: { name: string; expiresInSeconds?: number }[] }
      ).connections.map((r) => [r.name, r]),
    );
    expect(rows.fresh).toMatchObject({
      token: "fresh",
      refreshToken: "present",
      secretVersion: "v7",
      health: "ok",
    });
    expect(rows.fresh?.expiresInSeconds).toBeGreaterThan(290);
    expect(rows.skew).toMatchObject({ token: "in skew", refreshToken: "none" });
    expect(rows.expired).toMatchObject({ token: "expired" });
    expect(rows.none).toMatchObject({ token: "none", health: "unknown" });
    expect(rows.leased).toMatchObject({ lease: { owner: "instance-7" } });
    expect(rows.cooling).toMatchObject({ cooldownSeconds: expect.any(Number) });
    expect(rows.dead).toMatchObject({
      token: "none",
      health: "credentials-rejected",
      consecutiveFailures: 1,
      lastOutcome: { outcome: "failed", upstreamStatus: 401, upstreamError: "invalid_client" },
    });
    expect(rows.minted).toMatchObject({
      token: "minted",
      scheme: "signed-jwt",
      exposure: "per-request",
      delivery: "headers",
    });
    expect(rows.dead).toMatchObject({ exposure: "shared", delivery: "headers" });

    const text = run("--table", table);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain("dead (oauth2-client-credentials, exposure shared, delivery headers)");
    expect(text.stdout).toContain("health credentials-rejected (1 consecutive failures)");
    for (const output of [json.stdout, json.stderr, text.stdout, text.stderr]) {
      for (const value of values) expect(output).not.toContain(value);
      expect(output).not.toMatch(/v1\.[A-Za-z0-9_-]{16}\./); // no sealed field either
    }
    expect(run("--table").status).toBe(2); // a usage error, not a crash
  });
});

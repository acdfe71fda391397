import { afterEach, describe, expect, it, vi } from "vitest";
import { UpstreamCredentialsRejectedError, UpstreamInvalidResponseError } from "../../lib/errors.ts";
import { HttpClient } from "../../lib/upstream/http-client.ts";
import { testBroker } from "../helpers/broker.ts";
import { type LedgerServer, startLedgerServer } from "../helpers/ledger-server.ts";

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
let ledger: LedgerServer | undefined;
afterEach(async () => {
  await ledger?.close();
  ledger = undefined;
});

async function setup(
  options: Parameters<typeof startLedgerServer>[0] = {},
  secret = { apiKeyId: "key-id", apiKeySecret: "key-secret" },
) {
  ledger = await startLedgerServer(options);
  const clock = { t: T0 };
  const { broker, secrets } = testBroker(
    { ledger: { preset: "ledger-enterprise", secret: "ledger", baseUrl: ledger.url, workspace: "ws" } },
    { ledger: secret },
    { now: () => clock.t },
  );
  return { broker, secrets, clock, server: ledger };
}

describe("token-exchange (Ledger Enterprise Ledger Enterprise)", () => {
  it("exchanges {workspace, apiKeyId, apiKeySecret} as JSON and caches the 300 s token", async () => {
    const { broker, server, clock } = await setup();
    const credential = await broker.getCredential("ledger");
    expect(credential).toEqual({
      connection: "ledger",
      headers: { Authorization: "Bearer at-1" },
      expiresAt: T0 + 300_000,
      source: "upstream",
      tokenId: "R8PYaIQdcYEdkSc9TeGyiU", // sha256("at-1"), never the token
    });
    expect(server.requests[0]).toMatchObject({ method: "POST", path: "/auth/token" });
    expect(server.requests[0]?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(server.requests[0]?.body ?? "")).toEqual({
      workspace: "ws",
      apiKeyId: "key-id",
      apiKeySecret: "key-secret",
    });
    clock.t = T0 + 239_000; // still outside the 60 s skew
    expect(await broker.getCredential("ledger")).toMatchObject({
      headers: { Authorization: "Bearer at-1" },
      source: "memory",
    });
    expect(server.requests).toHaveLength(1);
  });

  it("refreshes with {workspace, refreshToken} inside the skew, then rotates to the new refresh token", async () => {
    const { broker, server, clock } = await setup();
    await broker.getCredential("ledger");
    clock.t = T0 + 241_000;
    expect((await broker.getCredential("ledger")).headers.Authorization).toBe("Bearer at-2");
    expect(server.requests[1]).toMatchObject({ path: "/auth/token/refresh" });
    expect(JSON.parse(server.requests[1]?.body ?? "")).toEqual({ workspace: "ws", refreshToken: "rt-1" });
    clock.t += 241_000;
    expect((await broker.getCredential("ledger")).headers.Authorization).toBe("Bearer at-3");
    expect(JSON.parse(server.requests[2]?.body ?? "")).toEqual({ workspace: "ws", refreshToken: "rt-2" });
    expect([server.exchanges(), server.refreshes(), server.reuseDetected()]).toEqual([1, 2, 0]);
  });

  it("does a full exchange once the refresh token has expired (1800 s)", async () => {
    const { broker, server, clock } = await setup();
    await broker.getCredential("ledger");
    clock.t = T0 + 1_800_000;
    expect((await broker.getCredential("ledger")).headers.Authorization).toBe("Bearer at-2");
    expect([server.exchanges(), server.refreshes()]).toEqual([2, 0]);
  });

  it("falls back to a full exchange when the refresh is rejected (invalid_grant), without looping", async () => {
    const { broker, server, clock } = await setup();
    await broker.getCredential("ledger");
    server.revokeAll();
    clock.t = T0 + 250_000;
    expect((await broker.getCredential("ledger")).headers.Authorization).toBe("Bearer at-2");
    expect([server.exchanges(), server.refreshes()]).toEqual([2, 1]);
  });

  it("keeps the old refresh token when a refresh response omits it (RFC 6749 6)", async () => {
    const { broker, server, clock } = await setup({ omitRefreshTokenOnRefresh: true });
    await broker.getCredential("ledger");
    clock.t = T0 + 250_000;
    await broker.getCredential("ledger"); // refresh with rt-1, no new refresh token
    clock.t = T0 + 500_000;
    await broker.getCredential("ledger"); // rt-1 again: the server sees reuse and refuses; full exchange
    expect(JSON.parse(server.requests[2]?.body ?? "").refreshToken).toBe("rt-1");
    expect(server.exchanges()).toBe(2);
  });

  it("wrong credentials: 401 becomes a 502 upstream-credentials-rejected after one secret re-read", async () => {
    const { broker, secrets } = await setup({}, { apiKeyId: "key-id", apiKeySecret: "wrong" });
    const error = await broker.getCredential("ledger").catch((e) => e);
    expect(error).toBeInstanceOf(UpstreamCredentialsRejectedError);
    expect(error).toMatchObject({ status: 502, upstreamStatus: 401 });
    expect(secrets.forcedReads.get("ledger")).toBe(1);
  });

  it("serves the still-valid token when the refresh fails and the upstream is down", async () => {
    const { broker, server, clock } = await setup();
    await broker.getCredential("ledger");
    server.options.fault = (res) => res.writeHead(500).end("boom");
    clock.t = T0 + 250_000;
    expect(await broker.getCredential("ledger")).toMatchObject({
      headers: { Authorization: "Bearer at-1" },
      source: "memory",
    });
    clock.t = T0 + 296_000; // less than 5 s left: not handed out
    await expect(broker.getCredential("ledger")).rejects.toMatchObject({ status: 502 });
  });

  it("rejects a token that would carry CR/LF into a header", async () => {
    const { broker, server } = await setup();
    server.options.fault = (res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ accessToken: "at\r\nx-injected: 1", expiresInSeconds: 300 }));
    };
    const error = await broker.getCredential("ledger").catch((e) => e);
    expect(error).toBeInstanceOf(UpstreamInvalidResponseError);
    expect(error.message).not.toContain("injected");
  });
});

describe("token-exchange: upstream faults", () => {
  it.each([
    [
      "a 400 on exchange",
      (res: import("node:http").ServerResponse) =>
        res.writeHead(400, { "content-type": "application/json" }).end('{"error":"invalid_request"}'),
      502,
      "upstream-error",
    ],
    [
      "a 500 on exchange",
      (res: import("node:http").ServerResponse) => res.writeHead(500).end("stack trace"),
      502,
      "upstream-error",
    ],
    [
      "a 503 on exchange",
      (res: import("node:http").ServerResponse) => res.writeHead(503, { "retry-after": "120" }).end(),
      503,
      "upstream-unavailable",
    ],
    [
      "HTML instead of JSON",
      (res: import("node:http").ServerResponse) =>
        res.writeHead(200, { "content-type": "text/html" }).end("<html></html>"),
      502,
      "upstream-invalid-response",
    ],
    [
      "JSON without the configured fields",
      (res: import("node:http").ServerResponse) =>
        res.writeHead(200, { "content-type": "application/json" }).end('{"access_token":"x"}'),
      502,
      "upstream-invalid-response",
    ],
  ])("%s → %i %s", async (_, fault, status, slug) => {
    const { broker, server } = await setup();
    server.options.fault = fault;
    const error = await broker.getCredential("ledger").catch((e) => e);
    expect(error.toProblem()).toMatchObject({ status, type: `urn:token-broker:problem:${slug}` });
    expect(JSON.stringify(error.toProblem())).not.toContain("stack trace");
  });
});

describe("token-exchange: a refresh whose outcome is unknown is never replayed", () => {
  // The upstream receives the refresh, takes longer than the broker's timeout, then rotates anyway.
  async function slowRefresh(onReceived: (server: LedgerServer) => void = () => {}) {
    const server: LedgerServer = await startLedgerServer({
      onRefreshReceived: async () => {
        onReceived(server);
        await new Promise((resolve) => setTimeout(resolve, 300));
      },
    });
    ledger = server;
    const clock = { t: T0 };
    const { broker } = testBroker(
      { ledger: { preset: "ledger-enterprise", secret: "ledger", baseUrl: server.url, workspace: "ws" } },
      { ledger: { apiKeyId: "key-id", apiKeySecret: "key-secret" } },
      {
        now: () => clock.t,
        http: new HttpClient({ timeoutMs: 100, maxAttempts: 3 }, { sleep: async () => {} }),
      },
    );
    await broker.getCredential("ledger");
    clock.t = T0 + 241_000; // inside the skew: the next request refreshes
    return { broker, server, clock };
  }

  it("a timed-out refresh is not retried: a full exchange replaces it at once", async () => {
    const { broker, server } = await slowRefresh();
    expect((await broker.getCredential("ledger")).headers.Authorization).toBe("Bearer at-2");
    expect(server.requests.map((r) => r.path)).toEqual(["/auth/token", "/auth/token/refresh", "/auth/token"]);
    await vi.waitFor(() => expect(server.refreshes()).toBe(1)); // it did rotate rt-1, unseen
    expect(server.reuseDetected()).toBe(0);
  });

  it("when the exchange fails too, the old token is served and its refresh token dropped", async () => {
    const { broker, server, clock } = await slowRefresh((s) => {
      s.options.fault = (res) => res.writeHead(503).end();
    });
    const served = await broker.getCredential("ledger");
    expect(served).toMatchObject({ headers: { Authorization: "Bearer at-1" }, source: "memory" });
    server.options.fault = undefined;
    clock.t += 1_000;
    expect((await broker.getCredential("ledger")).headers.Authorization).toBe("Bearer at-2");
    expect(server.requests.at(-1)?.path).toBe("/auth/token"); // an exchange, not rt-1 again
    expect(server.reuseDetected()).toBe(0);
  });
});

import { describe, expect, it, vi } from "vitest";
import { BrokerClient, BrokerProblemError } from "../../client/src/broker-client.ts";

const BASE = "https://broker.example.com";
const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);

/** A scripted broker: each call answers from `respond`, and every request is recorded. */
function harness(respond: (url: string, init: RequestInit, n: number) => Response | Promise<Response>) {
  const clock = { t: T0 };
  const calls: { url: string; method: string; authorization: string | null }[] = [];
  const sleeps: number[] = [];
  const tokens: boolean[] = [];
  let n = 0;
  const client = new BrokerClient({
    baseUrl: `${BASE}/`,
    getAccessToken: async ({ forceRefresh }) => {
      tokens.push(forceRefresh);
      return forceRefresh ? "caller-token-2" : "caller-token-1";
    },
    now: () => clock.t,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.t += ms;
    },
    fetch: (async (input: string | URL, init: RequestInit = {}) => {
      const url = String(input);
      calls.push({
        url,
        method: init.method ?? "GET",
        authorization: new Headers(init.headers).get("authorization"),
      });
      return respond(url, init, ++n);
    }) as typeof fetch,
  });
  return { client, clock, calls, sleeps, tokens };
}

const credential = (n: number, expiresInSeconds: number, now = T0) =>
  Response.json({
    connection: "signed",
    headers: { "x-api-key": "k", "x-signature": `sig-${n}` },
    expiresAt: new Date(now + expiresInSeconds * 1000).toISOString(),
    expiresIn: expiresInSeconds,
  });

const problem = (status: number, slug: string, headers: Record<string, string> = {}) =>
  new Response(
    JSON.stringify({
      type: `urn:token-broker:problem:${slug}`,
      title: slug,
      status,
      detail: `${slug}!`,
      requestId: "req-1",
    }),
    {
      status,
      headers: { "content-type": "application/problem+json", ...headers },
    },
  );

describe("BrokerClient", () => {
  it("caches a credential until expiresAt minus the skew, never past it (a 15 s signature)", async () => {
    const h = harness((_url, _init, n) => credential(n, 15, h.clock.t));
    expect((await h.client.credential("signed")).headers["x-signature"]).toBe("sig-1");
    h.clock.t = T0 + 9_999; // 5 s skew: reusable until 10 s
    expect((await h.client.credential("signed")).headers["x-signature"]).toBe("sig-1");
    h.clock.t = T0 + 10_000;
    expect((await h.client.credential("signed")).headers["x-signature"]).toBe("sig-2");
    expect(h.calls.map((c) => [c.method, c.url])).toEqual([
      ["POST", `${BASE}/v1/connections/signed/token`],
      ["POST", `${BASE}/v1/connections/signed/token`],
    ]);
    expect(h.calls[0]?.authorization).toBe("Bearer caller-token-1");
  });

  it("de-duplicates concurrent calls for a connection into one broker request", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const h = harness(async (_url, _init, n) => {
      await gate;
      return credential(n, 300);
    });
    const all = Promise.all(Array.from({ length: 20 }, () => h.client.credential("signed")));
    release();
    const results = await all;
    expect(new Set(results.map((r) => r.headers["x-signature"]))).toEqual(new Set(["sig-1"]));
    expect(h.calls).toHaveLength(1);
  });

  it("a 401 renews the caller token once and retries; a second 401 is thrown", async () => {
    const h = harness((_url, init) =>
      new Headers(init.headers).get("authorization") === "Bearer caller-token-2"
        ? credential(1, 300)
        : problem(401, "unauthorized"),
    );
    expect((await h.client.credential("signed")).headers["x-signature"]).toBe("sig-1");
    expect(h.tokens).toEqual([false, true]);

    const always = harness(() => problem(401, "unauthorized"));
    const error = await always.client.credential("signed").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrokerProblemError);
    expect(error).toMatchObject({
      status: 401,
      type: "urn:token-broker:problem:unauthorized",
      requestId: "req-1",
    });
    expect(always.calls).toHaveLength(2);
  });

  it("API Gateway's own 401 ({message}) also renews the caller token once", async () => {
    const h = harness((_url, _init, n) =>
      n === 1 ? Response.json({ message: "Unauthorized" }, { status: 401 }) : credential(1, 300),
    );
    await h.client.credential("signed");
    expect(h.tokens).toEqual([false, true]);
  });

  it("503 with Retry-After is retried after waiting, at most twice; a long Retry-After is not waited for", async () => {
    const h = harness((_url, _init, n) =>
      n <= 2 ? problem(503, "token-refresh-pending", { "retry-after": "1" }) : credential(n, 300),
    );
    expect((await h.client.credential("signed")).headers["x-signature"]).toBe("sig-3");
    expect(h.sleeps).toEqual([1000, 1000]);

    const busy = harness(() => problem(503, "upstream-unavailable", { "retry-after": "1" }));
    await expect(busy.client.credential("signed")).rejects.toMatchObject({ status: 503, retryAfter: 1 });
    expect(busy.calls).toHaveLength(3);

    const long = harness(() => problem(503, "upstream-unavailable", { "retry-after": "60" }));
    await expect(long.client.credential("signed")).rejects.toMatchObject({
      type: "urn:token-broker:problem:upstream-unavailable",
      retryAfter: 60,
    });
    expect(long.sleeps).toEqual([]);
  });

  it("other problems are typed errors with type, status and requestId, never retried", async () => {
    const h = harness(() => problem(403, "connection-access-denied"));
    const error = (await h.client.credential("signed").catch((e: unknown) => e)) as BrokerProblemError;
    expect(error).toMatchObject({
      name: "BrokerProblemError",
      status: 403,
      type: "urn:token-broker:problem:connection-access-denied",
      requestId: "req-1",
      detail: "connection-access-denied!",
    });
    expect(h.calls).toHaveLength(1);
    // A failed request is not cached: the next call asks again.
    await h.client.credential("signed").catch(() => {});
    expect(h.calls).toHaveLength(2);
  });

  it("an aborted caller stops waiting; the shared request still serves the others", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const h = harness(async (_url, _init, n) => {
      await gate;
      return credential(n, 300);
    });
    const controller = new AbortController();
    const aborted = h.client.credential("signed", { signal: controller.signal });
    const other = h.client.credential("signed");
    controller.abort(new Error("navigated away"));
    await expect(aborted).rejects.toThrow("navigated away");
    release();
    expect((await other).headers["x-signature"]).toBe("sig-1");
    expect(h.calls).toHaveLength(1);
    await expect(h.client.credential("signed", { signal: AbortSignal.abort() })).rejects.toThrow();
  });

  it("fetch (headers mode) attaches the credential; proxy calls through the broker with the caller token", async () => {
    const h = harness((url, _init, n) =>
      url.includes("/token") ? credential(n, 300) : new Response("upstream says hi", { status: 200 }),
    );
    const direct = await h.client.fetch("signed", "https://api.vendor.example/v1/things", {
      headers: { accept: "application/json" },
    });
    expect(await direct.text()).toBe("upstream says hi");
    const proxied = await h.client.proxy("ledger", "/v1/accounts?page=2", { method: "GET" });
    expect(proxied.status).toBe(200);
    expect(h.calls.map((c) => [c.url, c.authorization])).toEqual([
      [`${BASE}/v1/connections/signed/token`, "Bearer caller-token-1"],
      ["https://api.vendor.example/v1/things", null],
      [`${BASE}/v1/connections/ledger/proxy/v1/accounts?page=2`, "Bearer caller-token-1"],
    ]);
  });

  it("proxy passes the upstream's own errors through; the broker's problems are thrown", async () => {
    const upstream401 = harness(
      () =>
        new Response('{"error":"invalid_token"}', {
          status: 401,
          headers: { "content-type": "application/json" },
        }),
    );
    expect((await upstream401.client.proxy("ledger", "v1/accounts")).status).toBe(401);
    expect(upstream401.calls).toHaveLength(1);
    const refused = harness(() => problem(403, "proxy-request-not-allowed"));
    await expect(refused.client.proxy("ledger", "admin")).rejects.toMatchObject({
      status: 403,
      type: "urn:token-broker:problem:proxy-request-not-allowed",
    });
  });

  it("connections() lists what the caller may use", async () => {
    const h = harness(() =>
      Response.json({ connections: [{ name: "signed", scheme: "signed-jwt", delivery: "both" }] }),
    );
    expect(await h.client.connections()).toEqual([
      { name: "signed", scheme: "signed-jwt", delivery: "both" },
    ]);
  });

  it("headers mode: an upstream 401 on an exchanged token is reported by tokenId and retried once", async () => {
    let issued = 0;
    const h = harness(async (url, init) => {
      if (url.includes("/token")) {
        issued++;
        const body = init.body ? (JSON.parse(String(init.body)) as { rejectedTokenId?: string }) : {};
        if (issued === 2) expect(body).toEqual({ rejectedTokenId: "tok-id-1-aaaaaaaaaaaaaa" });
        return Response.json({
          connection: "ledger",
          headers: { Authorization: `Bearer at-${issued}` },
          expiresAt: new Date(T0 + 300_000).toISOString(),
          expiresIn: 300,
          tokenId: `tok-id-${issued}-aaaaaaaaaaaaaa`,
        });
      }
      return new Headers(init.headers).get("authorization") === "Bearer at-2"
        ? new Response("ok")
        : new Response("revoked", { status: 401 });
    });
    const response = await h.client.fetch("ledger", "https://api.ledger.example/v1/accounts");
    expect(await response.text()).toBe("ok");
    expect(issued).toBe(2);
  });

  describe("proxied answers are the upstream's: untouched, never renewed or re-sent", () => {
    const proxied = (status: number, body: string, contentType: string) =>
      new Response(body, {
        status,
        headers: { "content-type": contentType, "x-broker-proxied": "upstream" },
      });

    it("an upstream 401 {message} to a POST is returned as it came: no renewal, one send", async () => {
      const h = harness(() => proxied(401, '{"message":"Unauthorized"}', "application/json"));
      const response = await h.client.proxy("ledger", "v1/payments", { method: "POST", body: "{}" });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ message: "Unauthorized" });
      expect(h.calls).toHaveLength(1);
      expect(h.tokens).toEqual([false]);
    });

    it("an upstream 403 {message} is returned, not thrown as a broker problem", async () => {
      const h = harness(() => proxied(403, '{"message":"Forbidden"}', "application/json"));
      const response = await h.client.proxy("ledger", "v1/accounts");
      expect(response.status).toBe(403);
      expect(await response.text()).toBe('{"message":"Forbidden"}');
    });

    it("an upstream problem+json (even one shaped like the broker's) stays readable", async () => {
      const body = JSON.stringify({ type: "urn:token-broker:problem:unauthorized", status: 401 });
      const h = harness(() => proxied(401, body, "application/problem+json"));
      const response = await h.client.proxy("ledger", "v1/accounts", { method: "DELETE" });
      expect(await response.text()).toBe(body);
      expect(h.calls).toHaveLength(1);
    });

    it("the broker's own problems on the proxy route are still thrown and renewed", async () => {
      const h = harness((_url, _init, n) =>
        n === 1 ? problem(401, "unauthorized") : proxied(200, "ok", "text/plain"),
      );
      expect(await (await h.client.proxy("ledger", "v1/x", { method: "POST" })).text()).toBe("ok");
      expect(h.tokens).toEqual([false, true]);
    });

    it("a network error on a non-idempotent proxied call is thrown, never re-sent", async () => {
      const h = harness(() => {
        throw new TypeError("Failed to fetch");
      });
      await expect(h.client.proxy("ledger", "v1/payments", { method: "POST" })).rejects.toThrow(
        "Failed to fetch",
      );
      expect(h.calls).toHaveLength(1);
      const get = harness(() => {
        throw new TypeError("Failed to fetch");
      });
      await expect(get.client.proxy("ledger", "v1/accounts")).rejects.toThrow("Failed to fetch");
      expect(get.calls).toHaveLength(2); // idempotent: renewed once, as for a gateway 401
    });
  });

  it("retries stop once every caller of a shared request has aborted", async () => {
    const calls: string[] = [];
    const waits: AbortSignal[] = [];
    const client = new BrokerClient({
      baseUrl: BASE,
      getAccessToken: async () => "caller-token-1",
      fetch: (async (input: string | URL) => {
        calls.push(String(input));
        return problem(503, "token-refresh-pending", { "retry-after": "1" });
      }) as typeof fetch,
      sleep: (_ms, signal) =>
        new Promise<void>((_resolve, reject) => {
          if (signal) waits.push(signal);
          signal?.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
        }),
    });
    const first = new AbortController();
    const second = new AbortController();
    const a = client.credential("signed", { signal: first.signal });
    const b = client.credential("signed", { signal: second.signal });
    await vi.waitFor(() => expect(waits).toHaveLength(1));
    first.abort(new Error("left"));
    await expect(a).rejects.toThrow("left");
    expect(waits[0]?.aborted).toBe(false); // the other caller still waits for it
    second.abort(new Error("left too"));
    await expect(b).rejects.toThrow("left too");
    expect(waits[0]?.aborted).toBe(true);
    expect(calls).toHaveLength(1);
    // A caller arriving after everyone left gets a request of its own, not the cancelled one.
    const late = client.credential("signed");
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    expect(waits[1]?.aborted).toBe(false);
    void late.catch(() => {});
  });
});

import { afterEach, describe, expect, it } from "vitest";
import {
  UpstreamError,
  UpstreamInvalidResponseError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from "../../lib/errors.ts";
import { HttpClient } from "../../lib/upstream/http-client.ts";
import { parseRetryAfter } from "../../lib/upstream/retry-after.ts";
import { testBroker } from "../helpers/broker.ts";
import { sendJson, startServer, type TestHandler, type TestServer } from "../helpers/http-server.ts";

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(handler: TestHandler) {
  const s = await startServer(handler);
  servers.push(s);
  return s;
}

/** A client that records backoff delays instead of sleeping. */
function recordingClient(options: ConstructorParameters<typeof HttpClient>[0] = {}) {
  const delays: number[] = [];
  const client = new HttpClient(
    { timeoutMs: 1000, ...options },
    { sleep: async (ms) => void delays.push(ms), random: () => 0.5 },
  );
  return { client, delays };
}

/** A client_credentials connection against the given token URL. */
function oauth(tokenUrl: string, http: HttpClient, extra: Record<string, unknown> = {}) {
  return testBroker(
    {
      cc: {
        scheme: "oauth2-client-credentials",
        secret: "cc",
        tokenUrl,
        clientAuth: { method: "client_secret_post" },
        ...extra,
      },
    },
    { cc: { clientId: "client", clientSecret: "client-secret-value" } },
    { http },
  ).broker;
}

describe("HttpClient retries", () => {
  it("retries 500s with jittered backoff, at most maxAttempts, then 502", async () => {
    const s = await server((_, res) => void res.writeHead(500).end("internal stack trace with secrets"));
    const { client, delays } = recordingClient({ maxAttempts: 3, baseDelayMs: 100 });
    const error = await oauth(`${s.url}/token`, client)
      .getCredential("cc")
      .catch((e) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ status: 502, upstreamStatus: 500 });
    expect(error.message).not.toContain("stack trace");
    expect(s.requests).toHaveLength(3);
    expect(delays).toEqual([50, 100]); // full jitter: random * min(cap, base * 2^n)
  });

  it("honours Retry-After on 429 and succeeds on the next attempt", async () => {
    let calls = 0;
    const s = await server((_, res) => {
      if (++calls === 1) return void res.writeHead(429, { "retry-after": "1" }).end();
      sendJson(res, 200, { access_token: "tok", token_type: "Bearer", expires_in: 60 });
    });
    const { client, delays } = recordingClient({ maxDelayMs: 2000, baseDelayMs: 100 });
    const credential = await oauth(`${s.url}/token`, client).getCredential("cc");
    expect(credential.headers.Authorization).toBe("Bearer tok");
    expect(delays).toEqual([1050]);
  });

  it("does not wait out a Retry-After beyond the cap: 503 with Retry-After for the caller", async () => {
    const s = await server((_, res) => void res.writeHead(503, { "retry-after": "120" }).end());
    const { client, delays } = recordingClient({ maxDelayMs: 2000 });
    const error = await oauth(`${s.url}/token`, client)
      .getCredential("cc")
      .catch((e) => e);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error).toMatchObject({ status: 503, retryAfterSeconds: 120 });
    expect(delays).toEqual([]);
    expect(s.requests).toHaveLength(1);
  });

  it("an unreachable upstream is a 503 after the retries", async () => {
    const s = await server(() => {});
    const url = s.url;
    await s.close();
    servers.length = 0;
    const { client } = recordingClient({ maxAttempts: 2 });
    const error = await oauth(`${url}/token`, client)
      .getCredential("cc")
      .catch((e) => e);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error.message).toMatch(/unreachable \(ECONNREFUSED\)/);
  });

  it("a hang past the timeout is a 504", async () => {
    const s = await server(() => new Promise(() => {})); // never answers
    const { client } = recordingClient({ timeoutMs: 150, maxAttempts: 1 });
    const error = await oauth(`${s.url}/token`, client)
      .getCredential("cc")
      .catch((e) => e);
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect(error.status).toBe(504);
  });

  it("never follows a redirect (credentials would go to another host)", async () => {
    const elsewhere = await server((_, res) =>
      sendJson(res, 200, { access_token: "stolen", expires_in: 60 }),
    );
    const s = await server((_, res) => void res.writeHead(307, { location: `${elsewhere.url}/token` }).end());
    const { client } = recordingClient();
    const error = await oauth(`${s.url}/token`, client)
      .getCredential("cc")
      .catch((e) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ status: 502, upstreamStatus: 307 });
    expect(elsewhere.requests).toHaveLength(0);
  });

  it("caps the response body size", async () => {
    const s = await server((_, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(`{"access_token":"${"a".repeat(3 * 1024 * 1024)}","expires_in":60}`);
    });
    const { client } = recordingClient();
    await expect(oauth(`${s.url}/token`, client).getCredential("cc")).rejects.toThrow(/exceeds 65536 bytes/);
  });
});

describe("token responses (RFC 6749 5.1 / 5.2)", () => {
  async function answer(status: number, body: string, extra: Record<string, unknown> = {}) {
    const s = await server(
      (_, res) => void res.writeHead(status, { "content-type": "application/json" }).end(body),
    );
    const { client } = recordingClient({ maxAttempts: 1 });
    return oauth(`${s.url}/token`, client, extra)
      .getCredential("cc")
      .catch((e) => e);
  }

  it.each([
    ["HTML", "<html>Login</html>", /not JSON/],
    ["an empty body", "", /not JSON/],
    ["a JSON array", "[]", /not a JSON object/],
    ["no access_token", '{"expires_in":60}', /no "access_token"/],
    ["no expires_in and no default", '{"access_token":"t"}', /no "expires_in"; set defaultExpiresInSeconds/],
    ["a negative expires_in", '{"access_token":"t","expires_in":-5}', /invalid "expires_in"/],
    ["a fractional expires_in", '{"access_token":"t","expires_in":1.5}', /invalid "expires_in"/],
    ["a token with a space", '{"access_token":"a b","expires_in":60}', /not allowed in a token/],
    ["a MAC token type", '{"access_token":"t","token_type":"mac","expires_in":60}', /other than Bearer/],
  ])("rejects %s as a 502 upstream-invalid-response", async (_, body, message) => {
    const error = await answer(200, body);
    expect(error).toBeInstanceOf(UpstreamInvalidResponseError);
    expect(error.status).toBe(502);
    expect(error.message).toMatch(message);
  });

  it("uses defaultExpiresInSeconds when the upstream sends no lifetime, and caps huge ones", async () => {
    const before = Date.now();
    const a = await answer(200, '{"access_token":"t"}', { defaultExpiresInSeconds: 120 });
    expect(a.expiresAt - before).toBeGreaterThanOrEqual(120_000);
    expect(a.expiresAt - before).toBeLessThan(121_000);
    const b = await answer(200, '{"access_token":"t","expires_in":"999999999"}');
    expect(b.expiresAt - before).toBeLessThan(86_401_000);
  });

  it("maps RFC 6749 5.2 errors without passing the body through", async () => {
    const error = await answer(400, '{"error":"invalid_scope","error_description":"secret-ish detail"}');
    expect(error).toMatchObject({ status: 502, upstreamStatus: 400, oauthError: "invalid_scope" });
    expect(JSON.stringify(error.toProblem())).not.toContain("secret-ish");
    const weird = await answer(400, '{"error":"bad\\"code\\n"}');
    expect(weird.oauthError).toBeUndefined();
  });
});

describe("Retry-After parsing (RFC 9110 10.2.3)", () => {
  it("reads seconds and HTTP dates", () => {
    const now = Date.UTC(2026, 0, 1, 0, 0, 0);
    expect(parseRetryAfter("30", now)).toBe(30_000);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:10 GMT", now)).toBe(10_000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter("-1", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe("lifetimes under retries", () => {
  it("a token obtained after retries counts its lifetime from the attempt that answered", async () => {
    const clock = { t: Date.UTC(2026, 10, 23, 12, 0, 0) };
    let n = 0;
    const s = await server((_, res) =>
      ++n < 3
        ? sendJson(res, 503, {}, { "retry-after": "4" })
        : sendJson(res, 200, { access_token: "tok-after-retries", token_type: "Bearer", expires_in: 10 }),
    );
    // Each wait is on the same clock the broker reads: 8 s pass before the answer comes.
    const http = new HttpClient(
      { timeoutMs: 1000, maxAttempts: 3, maxDelayMs: 5000 },
      { sleep: async (ms) => void (clock.t += ms), random: () => 0, now: () => clock.t },
    );
    const broker = testBroker(
      {
        cc: { scheme: "oauth2-client-credentials", secret: "cc", tokenUrl: `${s.url}/token`, skewSeconds: 0 },
      },
      { cc: { clientId: "client", clientSecret: "client-secret-value" } },
      { http, now: () => clock.t },
    ).broker;
    const credential = await broker.getCredential("cc");
    expect(n).toBe(3);
    expect(credential.expiresAt - clock.t).toBe(10_000);
  });

  it("a fresh token with less than the 5 s margin left is never handed out", async () => {
    const s = await server((_, res) =>
      sendJson(res, 200, { access_token: "tok-short-lived", token_type: "Bearer", expires_in: 3 }),
    );
    const { client } = recordingClient();
    await expect(
      oauth(`${s.url}/token`, client, { skewSeconds: 0 }).getCredential("cc"),
    ).rejects.toMatchObject({
      slug: "upstream-invalid-response",
      status: 502,
    });
  });
});

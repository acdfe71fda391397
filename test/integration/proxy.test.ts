import { request as httpRequest, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTokenHandler } from "../../functions/token/handler.ts";
import { Broker } from "../../lib/broker.ts";
import { parseConfig } from "../../lib/config/broker-config.ts";
import { serveLocally, serverUrl } from "../../lib/http/local-gateway.ts";
import { logger } from "../../lib/observability/logger.ts";
import { callerIssuer } from "../helpers/callers.ts";
import type { TestServer } from "../helpers/http-server.ts";
import { type LedgerServer, startLedgerServer } from "../helpers/ledger-server.ts";
import { startSignatureServer, startStaticBearerServer } from "../helpers/resource-servers.ts";
import { MemorySecrets } from "../helpers/secrets.ts";
import { readSettings } from "../../lib/runtime/settings.ts";

/**
 * Proxy mode end to end: raw HTTP through the local gateway (real JWT verification) to the token
 * handler, out to real upstreams on 127.0.0.1 that check what the vendor pages require.
 */
const SECRETS = {
  ledger: { apiKeyId: "proxy-ledger-key-id", apiKeySecret: "proxy-ledger-key-secret-31d7" },
  signed: { apiKey: "proxy-api-key-4c1e", jwtKey: "proxy-jwt-signing-key-0123456789abcdef-XYZ" },
  static: { token: "proxy-static-bearer-token-88f0a2" },
};
const ORIGIN = "https://app.example.com";
const ISSUER = "https://issuer.proxy.test/";

let ledger: LedgerServer;
let signatures: TestServer & { verified: () => number };
let bearer: TestServer;
let server: Server;
let base: string;
let callerToken: string;
let otherCaller: string;
const seen: string[] = []; // everything a caller received, but from the token route
const logged: string[] = []; // everything handed to the logger

beforeAll(async () => {
  ledger = await startLedgerServer({
    workspace: "ws",
    apiKeyId: SECRETS.ledger.apiKeyId,
    apiKeySecret: SECRETS.ledger.apiKeySecret,
  });
  signatures = await startSignatureServer(SECRETS.signed.apiKey, SECRETS.signed.jwtKey);
  bearer = await startStaticBearerServer(SECRETS.static.token);
  const allow = [{ scopes: ["broker/token"] }];
  const config = parseConfig({
    connections: {
      ledger: {
        preset: "ledger-enterprise",
        secret: "ledger",
        baseUrl: ledger.url,
        workspace: "ws",
        access: allow,
        delivery: "both",
        proxy: {
          baseUrl: ledger.url,
          allow: [{ methods: ["GET"], paths: ["/v1/accounts", "/v1/accounts/*"] }],
        },
      },
      signed: {
        preset: "x-signature",
        secret: "signed",
        access: allow,
        proxy: { baseUrl: `${signatures.url}/api`, allow: [{ methods: ["GET", "POST"], paths: ["/v1/**"] }] },
      },
      static: {
        preset: "jet-admin",
        secret: "static",
        access: allow,
        proxy: {
          baseUrl: bearer.url,
          allow: [
            {
              methods: ["GET", "HEAD"],
              paths: [
                "/api/items",
                "/api/binary",
                "/api/moved",
                "/api/big",
                "/api/hang",
                "/api/fail",
                "/api/echo-encoded",
              ],
            },
            { methods: ["POST"], paths: ["/api/echo"] },
          ],
          requestHeaders: ["accept", "content-type", "x-api-key", "x-request-id"],
          responseHeaders: ["content-type", "etag", "location", "x-upstream-token"],
          maxRequestBytes: 1024,
          maxResponseBytes: 16 * 1024,
          timeoutMs: 300,
        },
      },
      "headers-only": { preset: "brief", secret: "brief", access: allow, delivery: "headers" },
      "admins-only": {
        preset: "jet-admin",
        secret: "static",
        access: [{ groups: ["admins"] }],
        proxy: { baseUrl: bearer.url, allow: [{ methods: ["GET"], paths: ["/api/items"] }] },
      },
    },
  });
  const broker = new Broker({
    config,
    secrets: new MemorySecrets({
      ...SECRETS,
      brief: { clientId: "c", secretKey: "brief-secret-key-0123456789abcdef-0123" },
    }),
  });
  const { authorizer, sign } = await callerIssuer(ISSUER);
  callerToken = await sign("user-1");
  otherCaller = await sign("user-2");
  server = await serveLocally(
    createTokenHandler(() => broker, readSettings({ BROKER_CORS_ORIGINS: ORIGIN })),
    0,
    { authorizer },
  );
  base = serverUrl(server);
  for (const level of ["info", "warn", "error", "debug"] as const) {
    vi.spyOn(logger, level).mockImplementation((...args: unknown[]) => {
      logged.push(JSON.stringify(args));
    });
  }
});

afterAll(async () => {
  vi.restoreAllMocks();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await Promise.all([ledger.close(), signatures.close(), bearer.close()]);
});

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json: () => Record<string, unknown>;
}

/** Raw HTTP: the path reaches the server exactly as written. */
function send(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer | string,
): Promise<Raw> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: { authorization: `Bearer ${callerToken}`, ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const bytes = Buffer.concat(chunks);
          // The token route hands out credentials by design; every other answer must hold none.
          if (!path.endsWith("/token")) seen.push(JSON.stringify(res.headers), bytes.toString("latin1"));
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: bytes,
            json: () => JSON.parse(bytes.toString("utf8")),
          });
        });
      },
    );
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function expectProblem(response: Raw, status: number, slug: string) {
  expect({ status: response.status, type: response.json().type }).toEqual({
    status,
    type: `urn:token-broker:problem:${slug}`,
  });
  expect(response.headers["content-type"]).toBe("application/problem+json");
}

describe("proxy: the vendors' own checks pass through the proxy", () => {
  it("Ledger Enterprise: the Ledger resource endpoint accepts the broker's current access token", async () => {
    const response = await send("GET", "/v1/connections/ledger/proxy/v1/accounts");
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ accounts: [{ id: "acc-1" }, { id: "acc-2" }] });
    expect((await send("GET", "/v1/connections/ledger/proxy/v1/accounts/acc-2")).json()).toEqual({
      id: "acc-2",
      workspace: "ws",
    });
    expect(ledger.exchanges()).toBe(1); // cached: one exchange for both calls
  });

  it("API key + JWT signing: every proxied call carries a fresh, valid x-signature", async () => {
    for (let i = 0; i < 3; i++) {
      const response = await send("GET", `/v1/connections/signed/proxy/v1/things?page=${i}`);
      expect(response.status).toBe(200);
      expect(response.json()).toEqual({ path: `/api/v1/things?page=${i}`, method: "GET" });
    }
    // Each call was minted for and verified by the upstream (x-signature is deterministic within a
    // second: {key, exp} has no nonce, so equal bytes do not mean reuse).
    expect(signatures.verified()).toBe(3);
  });

  it("Jet Admin's bearer token: the static token reaches the upstream, never the caller; cookies and credential headers are stripped", async () => {
    const response = await send("GET", "/v1/connections/static/proxy/api/items?q=1&r=two", {
      origin: ORIGIN,
      accept: "application/json",
      cookie: "broker-session=x",
      "x-forwarded-for": "6.6.6.6",
      "x-forwarded-host": "evil.example.com",
      forwarded: "for=6.6.6.6",
      "x-request-id": "req-42",
      "x-not-allowed": "dropped",
    });
    expect(response.status).toBe(200);
    const body = response.json() as { receivedHeaders: string[]; query: string };
    expect(body.query).toBe("q=1&r=two");
    // What the upstream received: the allow-list plus the credential (and fetch's own defaults);
    // nothing of the caller's identity or forwarding.
    expect(body.receivedHeaders).toEqual(expect.arrayContaining(["accept", "authorization", "x-request-id"]));
    for (const dropped of [
      "cookie",
      "origin",
      "x-forwarded-for",
      "x-forwarded-host",
      "forwarded",
      "x-not-allowed",
    ])
      expect(body.receivedHeaders).not.toContain(dropped);
    expect(bearer.requests.at(-1)?.headers.authorization).toBe(`Bearer ${SECRETS.static.token}`);
    // What the caller received: allow-listed headers, minus cookies and anything carrying the token.
    expect(response.headers["set-cookie"]).toBeUndefined();
    expect(response.headers.authorization).toBeUndefined();
    expect(response.headers["x-upstream-token"]).toBeUndefined();
    expect(response.headers["x-internal"]).toBeUndefined();
    expect(response.headers.etag).toBe('"v1"');
    expect(response.headers["access-control-allow-origin"]).toBe(ORIGIN);
    expect(response.headers["cache-control"]).toBe("no-store");
  });

  it("binary bodies round-trip both ways", async () => {
    const bytes = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 0x0d, 0x0a, 0x7f]);
    const echoed = await send(
      "POST",
      "/v1/connections/static/proxy/api/echo",
      { "content-type": "application/octet-stream" },
      bytes,
    );
    expect(echoed.status).toBe(200);
    expect(echoed.body.equals(bytes)).toBe(true);
    const png = await send("GET", "/v1/connections/static/proxy/api/binary");
    expect(png.headers["content-type"]).toBe("image/png");
    expect(
      png.body.equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe])),
    ).toBe(true);
  });
});

describe("proxy: delivery", () => {
  it("POST .../token is refused for a proxy-only connection; allowed for headers and both", async () => {
    expectProblem(await send("POST", "/v1/connections/static/token"), 403, "connection-proxy-only");
    expectProblem(await send("POST", "/v1/connections/signed/token"), 403, "connection-proxy-only");
    expect((await send("POST", "/v1/connections/ledger/token")).status).toBe(200);
    expect((await send("POST", "/v1/connections/headers-only/token")).status).toBe(200);
    expectProblem(await send("GET", "/v1/connections/headers-only/proxy/anything"), 403, "proxy-not-enabled");
  });

  it("the connection list says how each connection is delivered", async () => {
    const { connections } = (await send("GET", "/v1/connections")).json() as {
      connections: { name: string; delivery: string }[];
    };
    expect(Object.fromEntries(connections.map((c) => [c.name, c.delivery]))).toEqual({
      ledger: "both",
      signed: "proxy",
      static: "proxy",
      "headers-only": "headers",
    });
    expect(
      Object.fromEntries(connections.map((c) => [c.name, (c as { exposure?: string }).exposure])),
    ).toEqual({
      ledger: "shared",
      signed: "per-request",
      static: "long-lived",
      "headers-only": "replayable",
    });
  });

  it("headers delivery of a shared token hands out the rendered headers only: no refresh token, no secret", async () => {
    const answer = await send("POST", "/v1/connections/ledger/token");
    expect(answer.status).toBe(200);
    const body = answer.json() as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["connection", "expiresAt", "expiresIn", "headers", "tokenId"]);
    expect(Object.keys(body.headers as object)).toEqual(["Authorization"]);
    const text = JSON.stringify(answer.headers) + answer.body.toString("latin1");
    expect(ledger.exchanges()).toBeGreaterThan(0); // a refresh token was issued with the token
    expect(text).not.toMatch(/rt-\d+/);
    for (const value of Object.values(SECRETS).flatMap((s) => Object.values(s)))
      expect(text).not.toContain(value);
  });
});

describe("proxy: upstream 401 on a cached token", () => {
  it("one refresh and one retry; a second 401 is passed back", async () => {
    await send("GET", "/v1/connections/ledger/proxy/v1/accounts");
    const before = {
      refreshes: ledger.refreshes(),
      exchanges: ledger.exchanges(),
      calls: ledger.resourceCalls(),
    };
    ledger.revokeAccessTokens(); // the vendor revoked the token before its expiry
    const response = await send("GET", "/v1/connections/ledger/proxy/v1/accounts");
    expect(response.status).toBe(200);
    expect(ledger.refreshes() - before.refreshes + ledger.exchanges() - before.exchanges).toBe(1);
    expect(ledger.resourceCalls() - before.calls).toBe(2);

    ledger.options.rejectResources = true;
    try {
      const refused = await send("GET", "/v1/connections/ledger/proxy/v1/accounts");
      expect(refused.status).toBe(401); // the upstream's own answer, after exactly one retry
      expect(ledger.resourceCalls() - before.calls).toBe(4);
    } finally {
      ledger.options.rejectResources = false;
    }
  });

  it("a minted credential is not retried: the upstream's 401 is passed back", async () => {
    const before = signatures.requests.length;
    const response = await send("GET", "/v1/connections/signed/proxy/v1/x", { "x-api-key": "caller-chosen" });
    expect(response.status).toBe(200); // the caller cannot override the injected x-api-key
    expect(signatures.requests.length - before).toBe(1);
  });
});

describe("proxy: hostile requests", () => {
  const P = "/v1/connections/static/proxy";
  const cases: [string, string, string, number, string][] = [
    ["dot-dot segment", "GET", `${P}/api/../admin`, 400, "proxy-path-invalid"],
    ["dot segment", "GET", `${P}/api/./items`, 400, "proxy-path-invalid"],
    ["leading dot-dot", "GET", `${P}/../../token`, 400, "proxy-path-invalid"],
    ["encoded dot-dot", "GET", `${P}/api/%2e%2e/admin`, 400, "proxy-path-invalid"],
    ["mixed-case encoded dot", "GET", `${P}/api/%2E/items`, 400, "proxy-path-invalid"],
    ["double-encoded dot-dot", "GET", `${P}/api/%252e%252e/admin`, 400, "proxy-path-invalid"],
    ["dot-dot with a parameter (servlet ..;)", "GET", `${P}/api/..;/admin`, 400, "proxy-path-invalid"],
    ["dot with a parameter", "GET", `${P}/api/.;x/items`, 400, "proxy-path-invalid"],
    ["dot-dot with an encoded ;", "GET", `${P}/api/..%3B/admin`, 400, "proxy-path-invalid"],
    ["encoded dot-dot with a parameter", "GET", `${P}/api/%2e%2e;v=1/admin`, 400, "proxy-path-invalid"],
    ["encoded slash", "GET", `${P}/api%2fitems`, 400, "proxy-path-invalid"],
    ["double-encoded slash", "GET", `${P}/api%252fitems`, 400, "proxy-path-invalid"],
    ["encoded backslash", "GET", `${P}/api%5citems`, 400, "proxy-path-invalid"],
    ["raw backslash", "GET", `${P}/api\\items`, 400, "proxy-path-invalid"],
    ["//host in the path", "GET", `${P}//evil.example.com/api/items`, 400, "proxy-path-invalid"],
    ["empty segment", "GET", `${P}/api//items`, 400, "proxy-path-invalid"],
    ["absolute URL", "GET", `${P}/http://evil.example.com/api/items`, 400, "proxy-path-invalid"],
    ["absolute URL, encoded", "GET", `${P}/http:%2f%2fevil.example.com`, 400, "proxy-path-invalid"],
    ["user-info trick", "GET", `${P}/@evil.example.com/api/items`, 403, "proxy-request-not-allowed"],
    ["NUL", "GET", `${P}/api/items%00`, 400, "proxy-path-invalid"],
    ["CR/LF in the path", "GET", `${P}/api/items%0d%0aX-Injected:%201`, 400, "proxy-path-invalid"],
    ["tab in the path", "GET", `${P}/api/items%09`, 400, "proxy-path-invalid"],
    ["CR/LF in the query", "GET", `${P}/api/items?a=%0d%0aX-Injected:%201`, 400, "proxy-path-invalid"],
    ["invalid percent-encoding (not routed, as API Gateway)", "GET", `${P}/api/it%zzems`, 404, "not-found"],
    ["an over-long path", "GET", `${P}/api/${"a".repeat(3000)}`, 400, "proxy-path-invalid"],
    ["an over-long query", "GET", `${P}/api/items?${"q=1&".repeat(2000)}`, 400, "proxy-path-invalid"],
    ["a path outside the rules", "GET", `${P}/admin`, 403, "proxy-request-not-allowed"],
    ["a deeper path than the rule", "GET", `${P}/api/items/1`, 403, "proxy-request-not-allowed"],
    ["a forbidden method (DELETE)", "DELETE", `${P}/api/items`, 403, "proxy-request-not-allowed"],
    ["a forbidden method (PUT)", "PUT", `${P}/api/items`, 403, "proxy-request-not-allowed"],
    ["a method for another path (POST)", "POST", `${P}/api/items`, 403, "proxy-request-not-allowed"],
    ["an unknown connection", "GET", "/v1/connections/nope/proxy/api/items", 404, "connection-not-found"],
    [
      "a connection the caller may not use",
      "GET",
      "/v1/connections/admins-only/proxy/api/items",
      403,
      "connection-access-denied",
    ],
    ["no path below the proxy", "GET", `${P}/`, 404, "not-found"],
  ];
  it.each(cases.map(([label, method, path, status, slug]) => ({ label, method, path, status, slug })))(
    "$label → $status $slug, nothing forwarded",
    async ({ method, path, status, slug }) => {
      const before = bearer.requests.length;
      expectProblem(await send(method, path), status, slug);
      expect(bearer.requests.length).toBe(before);
    },
  );

  it("caller-set Authorization, Host and X-Forwarded-* never reach the upstream or override the credential", async () => {
    const response = await send("GET", `${P}/api/items`, {
      authorization: `Bearer ${otherCaller}`,
      host: "evil.example.com",
      "x-forwarded-proto": "http",
      "x-real-ip": "6.6.6.6",
    });
    expect(response.status).toBe(200);
    const received = bearer.requests.at(-1)?.headers;
    expect(received?.authorization).toBe(`Bearer ${SECRETS.static.token}`);
    expect(received?.host).toBe(new URL(bearer.url).host);
    expect(received?.["x-forwarded-proto"]).toBeUndefined();
    expect(received?.["x-real-ip"]).toBeUndefined();
  });

  it("headers the caller's Connection header names are not forwarded (RFC 9110 7.6.1)", async () => {
    const response = await send("GET", `${P}/api/items`, {
      connection: "x-request-id, accept",
      "x-request-id": "hop-by-hop",
      accept: "application/json",
    });
    expect(response.status).toBe(200);
    const { receivedHeaders } = response.json() as { receivedHeaders: string[] };
    expect(receivedHeaders).not.toContain("x-request-id");
    expect(receivedHeaders).not.toContain("accept");
  });

  it("an absolute-form request target is judged as sent, never normalized by the local gateway", async () => {
    const before = bearer.requests.length;
    expectProblem(await send("GET", `${base}${P}/api/x/../items`), 400, "proxy-path-invalid");
    expect(bearer.requests.length).toBe(before);
  });

  it("the query reaches the upstream byte for byte (a signed query string stays valid)", async () => {
    const query = "sig=a'b\"c<d>&x=%7e%7E&y=%27";
    const response = await send("GET", `${P}/api/items?${query}`);
    expect(response.status).toBe(200);
    expect((response.json() as { query: string }).query).toBe(query);
  });

  it("an upstream echoing the credential base64-, base64url- or URL-encoded: those headers are dropped", async () => {
    const response = await send("GET", `${P}/api/echo-encoded`);
    expect(response.status).toBe(201);
    expect(response.headers["x-upstream-token"]).toBeUndefined();
    expect(response.headers.etag).toBeUndefined();
    expect(response.headers.location).toBeUndefined();
    expect(response.headers["content-type"]).toBe("application/json");
  });

  it("a body over the connection's cap → 413, not forwarded", async () => {
    const before = bearer.requests.length;
    expectProblem(
      await send("POST", `${P}/api/echo`, { "content-type": "application/octet-stream" }, Buffer.alloc(2048)),
      413,
      "payload-too-large",
    );
    expect(bearer.requests.length).toBe(before);
  });

  it("a response over the cap → 502 proxy-response-too-large", async () => {
    expectProblem(await send("GET", `${P}/api/big`), 502, "proxy-response-too-large");
  });

  it("a redirect to another host is returned, never followed", async () => {
    const response = await send("GET", `${P}/api/moved`);
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe("https://elsewhere.example.com/steal");
  });

  it("an upstream that hangs → 504 upstream-timeout", async () => {
    expectProblem(await send("GET", `${P}/api/hang`), 504, "upstream-timeout");
  });

  it("an upstream 500 is passed back as the upstream's answer", async () => {
    const response = await send("GET", `${P}/api/fail`);
    expect(response.status).toBe(500);
    expect(response.json()).toEqual({ error: "upstream broke" });
  });

  it("no caller token → 401, nothing forwarded", async () => {
    const before = bearer.requests.length;
    expectProblem(await send("GET", `${P}/api/items`, { authorization: "" }), 401, "unauthorized");
    expect(bearer.requests.length).toBe(before);
  });
});

describe("proxy: the upstream's answers are marked as such, the broker's own are not", () => {
  it("every proxied answer carries x-broker-proxied, exposed to the page; no broker problem does", async () => {
    for (const path of ["/api/items", "/api/fail", "/api/moved"]) {
      const response = await send("GET", `/v1/connections/static/proxy${path}`, { origin: ORIGIN });
      expect(response.headers["x-broker-proxied"]).toBe("upstream");
      expect(String(response.headers["access-control-expose-headers"])).toContain("x-broker-proxied");
    }
    const refused = await send("GET", "/v1/connections/static/proxy/admin", { origin: ORIGIN });
    expectProblem(refused, 403, "proxy-request-not-allowed");
    expect(refused.headers["x-broker-proxied"]).toBeUndefined();
  });

  it("problems answered to requests without an Origin carry Vary: Origin too", async () => {
    for (const response of [
      await send("GET", "/v1/connections/static/proxy/admin"),
      await send("POST", "/v1/connections/nope/token"),
      await send("GET", "/v1/connections", { authorization: "" }),
    ]) {
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.headers.vary).toBe("Origin");
    }
  });
});

describe("proxy: nothing secret leaks", () => {
  it("no response and no log line holds a fixture secret or an upstream token", () => {
    const everything = [...seen, ...logged].join("\n");
    const secrets = [
      ...Object.values(SECRETS).flatMap((s) => Object.values(s)),
      ...Array.from({ length: 20 }, (_, i) => `at-${i + 1}"`),
      ...Array.from({ length: 20 }, (_, i) => `rt-${i + 1}"`),
    ];
    for (const secret of secrets) expect(everything).not.toContain(secret);
    expect(logged.some((line) => line.includes('"proxied"'))).toBe(true);
  });
});

import { mkdtempSync, writeFileSync } from "node:fs";
import { request as httpRequest, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportJWK, generateKeyPair, SignJWT, createLocalJWKSet, type CryptoKey } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTokenHandler } from "../../functions/token/handler.ts";
import { Broker } from "../../lib/broker.ts";
import { parseConfig } from "../../lib/config/broker-config.ts";
import { PROBLEM_TYPE_BASE } from "../../lib/errors.ts";
import { LocalJwtAuthorizer } from "../../lib/auth/local-jwt-authorizer.ts";
import { serveLocally, serverUrl } from "../../lib/http/local-gateway.ts";
import { logger } from "../../lib/observability/logger.ts";
import { CachedSecretSource } from "../../lib/secrets/cached-secret-source.ts";
import { localFileSecrets } from "../../lib/secrets/local-file-secrets.ts";
import { sendJson, startServer, type TestServer } from "../helpers/http-server.ts";
import { readSettings } from "../../lib/runtime/settings.ts";

// Every value below is a credential: none may appear in any log line or problem body.
const SECRETS = {
  apiKey: "hostile-api-key-7f3a9c",
  jwtKey: "hostile-jwt-signing-key-0123456789abcdefXYZ",
  clientSecret: "hostile-client-secret-55aa77bb",
  upstreamToken: "hostile-upstream-access-token-9d8c7b",
  echoedSecret: "hostile-echoed-in-error-body-1234",
};
const ISSUER = "https://issuer.hostile.test/";
const AUDIENCE = "token-broker";
const ORIGIN = "https://app.example.com";

let upstream: TestServer;
let elsewhere: TestServer;
let server: Server;
let base: string;
let signingKey: CryptoKey;
let otherKey: CryptoKey;
let publicPem: string;
const seenCredentials: string[] = [];
const captured: string[] = [];
let refreshLevel: { mockRestore(): void };
const originalWrite = process.stdout.write.bind(process.stdout);
const originalErrWrite = process.stderr.write.bind(process.stderr);

async function callerToken(
  claims: Record<string, unknown> = {},
  options: {
    key?: CryptoKey;
    alg?: string;
    issuer?: string;
    audience?: string;
    exp?: number | null;
    nbf?: number;
    kid?: string;
  } = {},
) {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ scope: "broker/token", ...claims })
    .setProtectedHeader({ alg: options.alg ?? "RS256", kid: options.kid ?? "k1" })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setSubject("user-1")
    .setIssuedAt(now - 10);
  if (options.exp !== null) jwt.setExpirationTime(options.exp ?? now + 600);
  if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
  const token = await jwt.sign(options.key ?? signingKey);
  seenCredentials.push(token);
  return token;
}

function unsignedToken(header: object, payload: object) {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${b64(header)}.${b64(payload)}.`;
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: () => Record<string, unknown>;
}

/** Raw HTTP, so paths reach the server exactly as written (fetch would normalize them). */
function send(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<RawResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: text,
          json: () => JSON.parse(text),
        });
      });
    });
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

async function post(
  name: string,
  init: { headers?: Record<string, string>; body?: string; token?: string | null } = {},
) {
  const token = init.token === undefined ? await callerToken() : init.token;
  return send(
    "POST",
    `/v1/connections/${name}/token`,
    { ...(token ? { authorization: `Bearer ${token}` } : {}), ...init.headers },
    init.body,
  );
}

function expectProblem(response: RawResponse, status: number, slug: string) {
  expect({ status: response.status, type: response.json().type }).toEqual({
    status,
    type: PROBLEM_TYPE_BASE + slug,
  });
  expect(response.headers["content-type"]).toBe("application/problem+json");
  expect(response.headers["cache-control"]).toBe("no-store");
  expect(response.headers["x-content-type-options"]).toBe("nosniff");
}

beforeAll(async () => {
  // Capture every byte written to stdout/stderr while the suite runs, at the most verbose level
  // (pinned: Powertools otherwise returns to the configured level at each invocation).
  logger.setLogLevel("DEBUG");
  refreshLevel = vi.spyOn(logger, "refreshSampleRateCalculation").mockImplementation(() => {});
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    captured.push(String(chunk));
    return originalWrite(chunk, ...(rest as []));
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    captured.push(String(chunk));
    return originalErrWrite(chunk, ...(rest as []));
  }) as typeof process.stderr.write;

  const rsa = await generateKeyPair("RS256", { extractable: true });
  signingKey = rsa.privateKey;
  otherKey = (await generateKeyPair("RS256")).privateKey;
  const jwk = { ...(await exportJWK(rsa.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  publicPem = JSON.stringify(jwk);

  elsewhere = await startServer((_, res) =>
    sendJson(res, 200, { access_token: "stolen-by-redirect", expires_in: 60 }),
  );
  upstream = await startServer(async (req, res) => {
    const json = (body: string) => void res.writeHead(200, { "content-type": "application/json" }).end(body);
    switch (req.path) {
      case "/ok":
        return json(`{"access_token":"${SECRETS.upstreamToken}","token_type":"Bearer","expires_in":300}`);
      case "/html":
        return void res
          .writeHead(200, { "content-type": "text/html" })
          .end("<html><body>Sign in</body></html>");
      case "/empty":
        return json("");
      case "/noexp":
        return json(`{"access_token":"${SECRETS.upstreamToken}"}`);
      case "/negative":
        return json(`{"access_token":"${SECRETS.upstreamToken}","expires_in":-60}`);
      case "/huge":
        return json(`{"access_token":"${SECRETS.upstreamToken}","expires_in":9999999999}`);
      case "/crlf":
        return json(
          JSON.stringify({ access_token: `${SECRETS.upstreamToken}\r\nSet-Cookie: x=1`, expires_in: 60 }),
        );
      case "/redirect":
        return void res.writeHead(302, { location: `${elsewhere.url}/token` }).end();
      case "/big":
        return json(`{"access_token":"${"x".repeat(4 * 1024 * 1024)}","expires_in":60}`);
      case "/hang":
        return new Promise<void>(() => {});
      case "/echo500":
        return void res
          .writeHead(500)
          .end(`internal error for client_secret=${SECRETS.echoedSecret} ${req.body}`);
      default:
        res.writeHead(404).end();
    }
  });

  const dir = mkdtempSync(join(tmpdir(), "hostile-"));
  const secretsFile = join(dir, "secrets.json");
  writeFileSync(
    secretsFile,
    JSON.stringify({
      signed: { apiKey: SECRETS.apiKey, jwtKey: SECRETS.jwtKey },
      oauth: { clientId: "hostile-client", clientSecret: SECRETS.clientSecret },
      "not-json": "plain text, not a JSON object",
      "missing-field": { apiKey: SECRETS.apiKey },
      "short-key": { apiKey: SECRETS.apiKey, jwtKey: "too-short" },
    }),
  );
  const allow = [{ scopes: ["broker/token"] }];
  const oauth = (path: string) => ({
    scheme: "oauth2-client-credentials",
    secret: "oauth",
    tokenUrl: `${upstream.url}${path}`,
    clientAuth: { method: "client_secret_basic" },
    http: { timeoutMs: 300, maxAttempts: 1 },
    access: allow,
    delivery: "headers",
  });
  const config = parseConfig({
    connections: {
      "ok-signed": { preset: "x-signature", secret: "signed", access: allow },
      "admins-only": { preset: "x-signature", secret: "signed", access: [{ groups: ["admins"] }] },
      "missing-secret": { preset: "x-signature", secret: "does/not/exist", access: allow },
      "not-json-secret": { preset: "x-signature", secret: "not-json", access: allow },
      "missing-field": { preset: "x-signature", secret: "missing-field", access: allow },
      "short-key": { preset: "x-signature", secret: "short-key", access: allow },
      "up-ok": oauth("/ok"),
      "up-html": oauth("/html"),
      "up-empty": oauth("/empty"),
      "up-noexp": oauth("/noexp"),
      "up-negative": oauth("/negative"),
      "up-huge": oauth("/huge"),
      "up-crlf": oauth("/crlf"),
      "up-redirect": oauth("/redirect"),
      "up-big": oauth("/big"),
      "up-hang": oauth("/hang"),
      "up-echo500": oauth("/echo500"),
    },
  });
  const broker = new Broker({
    config,
    secrets: new CachedSecretSource(localFileSecrets(secretsFile), { maxAgeMs: 60_000 }),
  });
  const handler = createTokenHandler(() => broker, readSettings({ BROKER_CORS_ORIGINS: ORIGIN }));
  const authorizer = new LocalJwtAuthorizer({
    jwks: createLocalJWKSet({ keys: [JSON.parse(publicPem)] }),
    issuer: ISSUER,
    audience: [AUDIENCE],
    requiredScopes: ["broker/token"],
    clockToleranceSeconds: 30,
  });
  server = await serveLocally(handler, 0, { authorizer });
  base = serverUrl(server);
});

afterAll(async () => {
  process.stdout.write = originalWrite;
  process.stderr.write = originalErrWrite;
  refreshLevel.mockRestore();
  logger.setLogLevel("WARN");
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await upstream.close();
  await elsewhere.close();
});

describe("hostile input: connection names", () => {
  const cases: [string, string, number, string][] = [
    ["an unknown name", "/v1/connections/nope/token", 404, "connection-not-found"],
    ["path traversal", "/v1/connections/../../etc/passwd/token", 404, "not-found"],
    ["an encoded slash", "/v1/connections/ok%2F..%2Fsigned/token", 404, "connection-not-found"],
    [
      "encoded dot segments (never resolved: the name is checked as sent)",
      "/v1/connections/%2e%2e/token",
      404,
      "connection-not-found",
    ],
    ["a very long name", `/v1/connections/${"a".repeat(5000)}/token`, 404, "connection-not-found"],
    [
      "a unicode look-alike",
      `/v1/connections/${encodeURIComponent("οk-signed")}/token`,
      404,
      "connection-not-found",
    ],
    ["a case variant", "/v1/connections/OK-SIGNED/token", 404, "connection-not-found"],
    ["invalid percent-encoding", "/v1/connections/ok%E0%A4%A/token", 404, "not-found"],
    ["a NUL byte", "/v1/connections/ok-signed%00/token", 404, "connection-not-found"],
  ];
  it.each(cases.map(([label, path, status, slug]) => ({ label, path, status, slug })))(
    "$label → $status $slug",
    async ({ path, status, slug }) => {
      const response = await send("POST", path, { authorization: `Bearer ${await callerToken()}` });
      expectProblem(response, status, slug);
      expect(response.body).not.toContain("passwd");
    },
  );
});

describe("hostile input: request targets", () => {
  it("an unparseable target (//[) → 400 bad-request with a requestId, logged", async () => {
    const info = vi.spyOn(logger, "info");
    try {
      const response = await send("POST", "//[");
      expectProblem(response, 400, "bad-request");
      const { requestId } = response.json();
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(info).toHaveBeenCalledWith(
        "request rejected by the local gateway",
        expect.objectContaining({ requestId, status: 400 }),
      );
    } finally {
      info.mockRestore();
    }
  });
});

describe("hostile input: request bodies", () => {
  const json = { "content-type": "application/json" };
  it.each([
    ["malformed JSON", json, "{", 400, "bad-request"],
    ["a JSON array", json, "[]", 400, "bad-request"],
    ["an unknown field", json, '{"scope":"admin"}', 400, "bad-request"],
    ["a text/plain body", { "content-type": "text/plain" }, "{}", 415, "unsupported-media-type"],
    [
      "a form body",
      { "content-type": "application/x-www-form-urlencoded" },
      "a=b",
      415,
      "unsupported-media-type",
    ],
    ["a body over 4 KiB", json, `{"a":"${"x".repeat(5000)}"}`, 413, "payload-too-large"],
    [
      "8 KiB of whitespace as text/plain",
      { "content-type": "text/plain" },
      " ".repeat(8192),
      413,
      "payload-too-large",
    ],
    ["whitespace as text/plain", { "content-type": "text/plain" }, "  \n ", 415, "unsupported-media-type"],
    ["a body over the gateway's 1 MiB", json, "x".repeat(1024 * 1024 + 10), 413, "payload-too-large"],
  ])("%s → %i %s", async (_, headers, body, status, slug) => {
    expectProblem(await post("ok-signed", { headers, body }), status, slug);
  });
});

describe("hostile input: caller JWT", () => {
  const now = () => Math.floor(Date.now() / 1000);
  it.each([
    ["missing", async () => null],
    ["an empty bearer", async () => ""],
    ["garbage", async () => "not.a.jwt"],
    ["expired", async () => callerToken({}, { exp: now() - 120 })],
    ["not yet valid", async () => callerToken({}, { nbf: now() + 600 })],
    ["from another issuer", async () => callerToken({}, { issuer: "https://evil.test/" })],
    ["for another audience", async () => callerToken({}, { audience: "other-api" })],
    ["with a bad signature", async () => callerToken({}, { key: otherKey })],
    ["without exp", async () => callerToken({}, { exp: null })],
    [
      "alg none",
      async () =>
        unsignedToken(
          { alg: "none", kid: "k1" },
          { iss: ISSUER, aud: AUDIENCE, sub: "x", scope: "broker/token", exp: now() + 600, iat: now() },
        ),
    ],
    [
      "HS256 signed with the RSA public key (algorithm confusion)",
      async () =>
        callerToken({}, { alg: "HS256", key: new TextEncoder().encode(publicPem) as unknown as CryptoKey }),
    ],
  ])("%s → 401 unauthorized", async (_, token) => {
    const t = await token();
    const response = await send(
      "POST",
      "/v1/connections/ok-signed/token",
      t === null ? {} : { authorization: `Bearer ${t}` },
    );
    expectProblem(response, 401, "unauthorized");
    // RFC 6750 3.1: no error code when the request carried no token at all.
    expect(response.headers["www-authenticate"]).toBe(t === null ? "Bearer" : 'Bearer error="invalid_token"');
  });

  it("a Basic Authorization header → 401 unauthorized", async () => {
    const response = await send("POST", "/v1/connections/ok-signed/token", {
      authorization: `Basic ${Buffer.from("a:b").toString("base64")}`,
    });
    expectProblem(response, 401, "unauthorized");
    // Another scheme is no bearer token at all (RFC 6750 3.1).
    expect(response.headers["www-authenticate"]).toBe("Bearer");
  });

  it("a token without the route's scope → 403 insufficient-scope", async () => {
    expectProblem(
      await post("ok-signed", { token: await callerToken({ scope: "openid profile" }) }),
      403,
      "insufficient-scope",
    );
  });

  it("claims the connection does not allow → 403 connection-access-denied", async () => {
    expectProblem(
      await post("admins-only", { token: await callerToken({ groups: ["users"] }) }),
      403,
      "connection-access-denied",
    );
    const admin = await post("admins-only", { token: await callerToken({ groups: ["admins", "users"] }) });
    expect(admin.status).toBe(200);
  });

  it("the connection list shows only what the caller may use", async () => {
    const response = await send("GET", "/v1/connections", { authorization: `Bearer ${await callerToken()}` });
    const names = (response.json().connections as { name: string }[]).map((c) => c.name);
    expect(names).toContain("ok-signed");
    expect(names).not.toContain("admins-only");
  });
});

describe("hostile input: CORS", () => {
  it.each([
    ["a foreign origin", "https://evil.example.com"],
    ["the null origin", "null"],
    ["a suffix attack", "https://app.example.com.evil.io"],
    ["the same host over http", "http://app.example.com"],
    ["a subdomain", "https://x.app.example.com"],
  ])("a request from %s → 403 origin-not-allowed, no CORS grant", async (_, origin) => {
    const response = await post("ok-signed", { headers: { origin } });
    expectProblem(response, 403, "origin-not-allowed");
    expect(response.headers["access-control-allow-origin"]).toBeUndefined();
    expect(response.headers.vary).toBe("Origin");
  });

  it("a preflight from a foreign origin → 403 origin-not-allowed", async () => {
    const response = await send("OPTIONS", "/v1/connections/ok-signed/token", {
      origin: "https://evil.example.com",
      "access-control-request-method": "POST",
    });
    expectProblem(response, 403, "origin-not-allowed");
  });

  it("a preflight from the allowed origin → 204 granting exactly that origin", async () => {
    const response = await send("OPTIONS", "/v1/connections/ok-signed/token", {
      origin: ORIGIN,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization",
    });
    expect(response.status).toBe(204);
    expect(response.headers).toMatchObject({
      "access-control-allow-origin": ORIGIN,
      "access-control-allow-headers": "authorization, content-type",
      vary: "Origin",
      "cache-control": "no-store",
      pragma: "no-cache",
      "x-content-type-options": "nosniff",
    });
  });

  it("a request from the allowed origin → 200 with that origin, never *", async () => {
    const response = await post("ok-signed", { headers: { origin: ORIGIN } });
    expect(response.status).toBe(200);
    expect(response.headers["access-control-allow-origin"]).toBe(ORIGIN);
    seenCredentials.push(...Object.values(response.json().headers as Record<string, string>));
  });
});

describe("hostile input: secrets", () => {
  it.each([
    ["missing-secret", 500, "secret-not-found"],
    ["not-json-secret", 500, "secret-invalid"],
    ["missing-field", 500, "secret-invalid"],
    ["short-key", 500, "secret-invalid"],
  ])("%s → %i %s", async (name, status, slug) => {
    expectProblem(await post(name), status, slug);
  });
});

describe("hostile input: upstream responses", () => {
  it.each([
    ["up-html", 502, "upstream-invalid-response"],
    ["up-empty", 502, "upstream-invalid-response"],
    ["up-noexp", 502, "upstream-invalid-response"],
    ["up-negative", 502, "upstream-invalid-response"],
    ["up-crlf", 502, "upstream-invalid-response"],
    ["up-big", 502, "upstream-invalid-response"],
    ["up-redirect", 502, "upstream-error"],
    ["up-echo500", 502, "upstream-error"],
    ["up-hang", 504, "upstream-timeout"],
  ])("%s → %i %s", async (name, status, slug) => {
    const response = await post(name);
    expectProblem(response, status, slug);
    expect(response.body).not.toContain("<html");
  });

  it("a redirect never reaches the other host", () => {
    expect(elsewhere.requests).toHaveLength(0);
  });

  it("a huge lifetime is capped (maxLifetimeSeconds, 86400 by default)", async () => {
    const response = await post("up-huge");
    expect(response.status).toBe(200);
    expect(response.json().expiresIn).toBeLessThanOrEqual(86_400);
  });

  it("a good upstream still works alongside the bad ones", async () => {
    const response = await post("up-ok");
    expect(response.json().headers).toEqual({ Authorization: `Bearer ${SECRETS.upstreamToken}` });
  });
});

describe("no leaks", () => {
  it("no secret, token, signature or caller JWT appears in any captured log line", () => {
    const logs = captured.join("");
    // The capture saw every kind of line the suite causes: 5xx, 4xx, gateway rejections, successes.
    for (const message of [
      "request failed",
      "request rejected",
      "request rejected by the local gateway",
      "request served",
    ]) {
      expect(logs).toContain(`"message":"${message}"`);
    }
    const basic = Buffer.from(`hostile-client:${SECRETS.clientSecret}`).toString("base64");
    for (const value of [...Object.values(SECRETS), basic, ...seenCredentials]) {
      expect(logs.includes(value), `leaked: ${value.slice(0, 12)}...`).toBe(false);
    }
  });
});

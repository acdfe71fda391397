import { spawn } from "node:child_process";
import { decodeProtectedHeader } from "jose";
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokenHandler } from "../../functions/token/handler.ts";
import { Broker } from "../../lib/broker.ts";
import { loadConfigFile } from "../../lib/config/broker-config.ts";
import { PROBLEM_TYPE_BASE } from "../../lib/errors.ts";
import { serveLocally, serverUrl } from "../../lib/http/local-gateway.ts";
import { localAuthFromEnv } from "../../lib/local/local-auth.ts";
import { CachedSecretSource } from "../../lib/secrets/cached-secret-source.ts";
import { localFileSecrets } from "../../lib/secrets/local-file-secrets.ts";
import { readSettings } from "../../lib/runtime/settings.ts";

const exampleSecrets = JSON.parse(readFileSync("examples/local-secrets.json", "utf8"));
const broker = new Broker({
  config: loadConfigFile("examples/broker.config.json"),
  secrets: new CachedSecretSource(localFileSecrets("examples/local-secrets.json"), { maxAgeMs: 60_000 }),
});
const handler = createTokenHandler(
  () => broker,
  readSettings({ BROKER_CORS_ORIGINS: "https://app.example.com" }),
);
const baseEvent = JSON.parse(
  readFileSync("test/fixtures/apigw-v2-token-event.json", "utf8"),
) as APIGatewayProxyEventV2;
const context = {
  awsRequestId: "req-1",
  functionName: "token",
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

function event(
  overrides: Partial<APIGatewayProxyEventV2> & { method?: string; path?: string },
): APIGatewayProxyEventV2 {
  const { method, path, ...rest } = overrides;
  const e = structuredClone(baseEvent);
  if (method) e.requestContext.http.method = method;
  if (path) {
    e.rawPath = path;
    e.requestContext.http.path = path;
  }
  return { ...e, ...rest };
}

const invoke = (e: APIGatewayProxyEventV2) => handler(e, context);

function expectProblem(
  response: { statusCode: number; headers?: Record<string, string>; body: string },
  status: number,
  slug: string,
) {
  expect(response.statusCode).toBe(status);
  expect(response.headers?.["content-type"]).toBe("application/problem+json");
  expect(response.headers?.["cache-control"]).toBe("no-store");
  const body = JSON.parse(response.body);
  expect(body).toMatchObject({ type: PROBLEM_TYPE_BASE + slug, status });
  expect(body.title).toEqual(expect.any(String));
  expect(body.requestId).toBe("req-1");
  expect(response.body).not.toMatch(/at .*\.ts:\d+/); // never a stack trace
  return body;
}

describe("token handler (API Gateway HTTP API payload v2)", () => {
  it("POST /v1/connections/{name}/token answers {connection, headers, expiresAt, expiresIn} with no-store", async () => {
    const response = await invoke(event({}));
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({
      "content-type": "application/json",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    });
    const body = JSON.parse(response.body);
    expect(Object.keys(body)).toEqual(["connection", "headers", "expiresAt", "expiresIn"]);
    expect(body.expiresIn).toBeGreaterThanOrEqual(13); // exp is whole seconds; expiresIn rounds down
    expect(body.expiresIn).toBeLessThanOrEqual(15);
    expect(Date.parse(body.expiresAt) - Date.now()).toBeLessThanOrEqual(15_000);
    const key = new TextEncoder().encode(exampleSecrets["broker/local/demo-signed"].jwtKey);
    const { payload } = await jwtVerify(body.headers["x-signature"], key, { algorithms: ["HS256"] });
    expect(payload.key).toBe(body.headers["x-api-key"]);
  });

  it("accepts an empty or base64-encoded body", async () => {
    expect((await invoke(event({ body: undefined } as never))).statusCode).toBe(200);
    expect(
      (await invoke(event({ body: Buffer.from("{}").toString("base64"), isBase64Encoded: true }))).statusCode,
    ).toBe(200);
  });

  it("GET /v1/connections lists names, schemes and presets, never secrets", async () => {
    const response = await invoke(
      event({ routeKey: "GET /v1/connections", method: "GET", path: "/v1/connections" }),
    );
    expect(response.statusCode).toBe(200);
    const { connections } = JSON.parse(response.body);
    expect(connections).toContainEqual(
      expect.objectContaining({ name: "demo-signed", scheme: "signed-jwt", preset: "x-signature" }),
    );
    expect(response.body).not.toContain("broker/local/");
  });

  it("GET /health", async () => {
    const response = await invoke(event({ routeKey: "GET /health", method: "GET", path: "/health" }));
    expect(JSON.parse(response.body)).toEqual({ status: "ok" });
  });

  it("unknown connection: 404 connection-not-found, the name not echoed", async () => {
    const response = await invoke(event({ pathParameters: { name: "nope<script>" } }));
    const body = expectProblem(response, 404, "connection-not-found");
    expect(response.body).not.toContain("<script>");
    expect(body.detail).toBe("No connection with this name is configured.");
  });

  it("unrouted path: 404; known path, wrong method: 405 with Allow", async () => {
    expectProblem(
      await invoke(event({ routeKey: "$default", method: "GET", path: "/v2/x" })),
      404,
      "not-found",
    );
    const response = await invoke(
      event({ routeKey: "$default", method: "GET", path: "/v1/connections/demo-signed/token" }),
    );
    expectProblem(response, 405, "method-not-allowed");
    expect(response.headers?.allow).toBe("POST");
  });

  it.each([
    ["a non-JSON content type", { "content-type": "text/plain" }, "{}", 415, "unsupported-media-type"],
    ["malformed JSON", { "content-type": "application/json" }, "{", 400, "bad-request"],
    ["an unknown field", { "content-type": "application/json" }, '{"scope":"x"}', 400, "bad-request"],
    [
      "an oversized body",
      { "content-type": "application/json" },
      `{"a":"${"x".repeat(5000)}"}`,
      413,
      "payload-too-large",
    ],
  ])("rejects %s", async (_, headers, body, status, slug) => {
    expectProblem(await invoke(event({ headers: { ...baseEvent.headers, ...headers }, body })), status, slug);
  });

  it("an unreachable upstream: 503 upstream-unavailable problem", async () => {
    const response = await invoke(event({ pathParameters: { name: "demo-ledger" } }));
    const body = expectProblem(response, 503, "upstream-unavailable");
    expect(body.detail).toMatch(/127\.0\.0\.1:9401 is unreachable/);
  });

  it("a bug: 500 internal with no detail about it", async () => {
    const broken = createTokenHandler(
      () => {
        throw new TypeError("cannot read properties of undefined (secret-ish detail)");
      },
      readSettings({ BROKER_CORS_ORIGINS: "https://app.example.com" }),
    );
    const response = await broken(event({}), context);
    const body = expectProblem(response, 500, "internal");
    expect(response.body).not.toContain("secret-ish");
    expect(body.detail).toBe("The broker failed unexpectedly. The error has been logged.");
  });
});

describe("local server over real HTTP", () => {
  let server: Server;
  let url: string;
  let authorization: string;
  beforeAll(async () => {
    const auth = await localAuthFromEnv({ BROKER_LOCAL_AUTH: "dev" });
    if (auth.mode !== "dev") throw new Error("dev auth expected");
    authorization = `Bearer ${auth.devToken}`;
    server = await serveLocally(handler, 0, { authorizer: auth.authorizer });
    url = serverUrl(server);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("binds to 127.0.0.1 and serves usable headers for the example connections", async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const name of ["demo-signed", "demo-org", "demo-brief", "demo-custom-jwt"]) {
      const response = await fetch(`${url}/v1/connections/${name}/token`, {
        method: "POST",
        headers: { authorization },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(Object.keys(((await response.json()) as { headers: object }).headers).length).toBeGreaterThan(0);
    }
  });

  it("routes like API Gateway: an encoded slash does not reach a connection", async () => {
    const response = await fetch(`${url}/v1/connections/demo%2Fsigned/token`, {
      method: "POST",
      headers: { authorization },
    });
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });
});

describe("npm start entry point", () => {
  it("starts on the example config and answers curl-style requests", async () => {
    const child = spawn(process.execPath, ["bin/local-server.ts"], {
      env: { ...process.env, PORT: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const [url, token] = await new Promise<[string, string]>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          const match = /listening on (http:\/\/127\.0\.0\.1:\d+)[\s\S]*BROKER_DEV_TOKEN=(\S+)/.exec(out);
          if (match) resolve([match[1] as string, match[2] as string]);
        });
        child.once("exit", (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      expect((await fetch(`${url}/v1/connections/demo-brief/token`, { method: "POST" })).status).toBe(401);
      const response = await fetch(`${url}/v1/connections/demo-brief/token`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
      });
      expect((await response.json()) as unknown).toMatchObject({
        headers: { Authorization: expect.stringMatching(/^Bearer eyJ/) },
      });
      // The Jet Admin's bearer token static token is long-lived: the example delivers it through the proxy only.
      const refused = await fetch(`${url}/v1/connections/demo-static/token`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
      });
      expect(refused.status).toBe(403);
      expect(JSON.stringify(await refused.json())).not.toContain(
        exampleSecrets["broker/local/demo-static"].token,
      );
    } finally {
      child.kill("SIGTERM");
    }
  });
});

describe("local caller authentication modes", () => {
  it("none: an explicit opt-in; the handler then serves anonymous callers", async () => {
    expect(await localAuthFromEnv({ BROKER_LOCAL_AUTH: "none" })).toEqual({ mode: "none" });
    const anonymous = createTokenHandler(() => broker, readSettings({ BROKER_ALLOW_ANONYMOUS: "true" }));
    const { requestContext, headers, ...rest } = baseEvent;
    const { authorizer: _authorizer, ...context_ } = requestContext as typeof requestContext & {
      authorizer?: unknown;
    };
    const { origin: _origin, ...noOrigin } = headers;
    const response = await anonymous(
      { ...rest, headers: noOrigin, requestContext: context_ } as APIGatewayProxyEventV2,
      context,
    );
    expect(response.statusCode).toBe(200);
    // Without the opt-in, a request without verified claims never gets a credential.
    const strict = createTokenHandler(() => broker, readSettings({}));
    const denied = await strict(
      { ...rest, headers: noOrigin, requestContext: context_ } as APIGatewayProxyEventV2,
      context,
    );
    expect(denied.statusCode).toBe(401);
  });

  it("dev: the issuer signs RS256 with a kid, as API Gateway requires, and its token verifies", async () => {
    const auth = await localAuthFromEnv({});
    if (auth.mode !== "dev") throw new Error("expected dev mode");
    expect(decodeProtectedHeader(auth.devToken)).toMatchObject({ alg: "RS256", kid: "local-dev" });
    expect(await auth.authorizer.verify(`Bearer ${auth.devToken}`)).toMatchObject({ sub: "local-developer" });
  });

  it("jwks: refuses to start without its settings, naming each one", async () => {
    await expect(localAuthFromEnv({ BROKER_LOCAL_AUTH: "jwks" })).rejects.toMatchObject({
      issues: [
        { path: "BROKER_LOCAL_JWKS", message: "required with BROKER_LOCAL_AUTH=jwks" },
        { path: "BROKER_LOCAL_ISSUER", message: "required with BROKER_LOCAL_AUTH=jwks" },
        { path: "BROKER_LOCAL_AUDIENCE", message: "required with BROKER_LOCAL_AUTH=jwks" },
      ],
    });
    await expect(localAuthFromEnv({ BROKER_LOCAL_AUTH: "off" })).rejects.toThrow(
      /expected "dev", "jwks" or "none"/,
    );
  });
});

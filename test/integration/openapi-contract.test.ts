import { readFileSync } from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { beforeAll, describe, expect, it } from "vitest";
import { createTokenHandler } from "../../functions/token/handler.ts";
import { Broker } from "../../lib/broker.ts";
import { parseConfig } from "../../lib/config/broker-config.ts";
import * as errors from "../../lib/errors.ts";
import { problem } from "../../lib/http/responses.ts";
import { HttpClient } from "../../lib/upstream/http-client.ts";
import { sendJson, startServer, type TestServer } from "../helpers/http-server.ts";
import { MemorySecrets } from "../helpers/secrets.ts";
import { readSettings } from "../../lib/runtime/settings.ts";

/**
 * The OpenAPI document (docs/openapi.json) is checked by a real OpenAPI 3.1 validator, and the
 * real handler's answers (successes and problems) are validated against it with a JSON Schema
 * 2020-12 validator: the contract frontends code against is the one the broker keeps.
 */
type Json = Record<string, unknown>;
const doc = JSON.parse(readFileSync("docs/openapi.json", "utf8")) as Json & {
  paths: Record<string, Record<string, { responses: Record<string, Json> }>>;
  components: { schemas: Record<string, Json>; responses: Record<string, Json> };
};
const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
ajv.addSchema({ ...doc, $id: "openapi" });

/** Resolves a `$ref` inside the document. */
function deref(value: Json): Json {
  const ref = value.$ref as string | undefined;
  if (!ref) return value;
  return ref
    .slice(2)
    .split("/")
    .reduce<Json>((node, key) => node[key] as Json, doc);
}

/** Validates a handler answer against the document's response for this operation and status. */
function expectConforms(
  pathTemplate: string,
  method: string,
  response: { statusCode: number; headers: Record<string, string>; body: string; isBase64Encoded?: boolean },
) {
  const operation = doc.paths[pathTemplate]?.[method];
  expect(operation, `${method} ${pathTemplate} is documented`).toBeDefined();
  const documented = operation?.responses[String(response.statusCode)] ?? operation?.responses.default;
  expect(documented, `${method} ${pathTemplate} documents ${response.statusCode}`).toBeDefined();
  const resolved = deref(documented as Json);
  const contentType = (response.headers["content-type"] ?? "").split(";")[0] as string;
  const content = resolved.content as Record<string, { schema: Json }> | undefined;
  const media = content?.[contentType] ?? content?.["*/*"];
  expect(media, `${contentType} documented for ${response.statusCode}`).toBeDefined();
  const schema = media?.schema ?? {};
  const check = ajv.compile(schema.$ref ? { $ref: `openapi${schema.$ref}` } : schema);
  const text = response.isBase64Encoded
    ? Buffer.from(response.body, "base64").toString("utf8")
    : response.body;
  const body = contentType.endsWith("json") ? JSON.parse(text) : text;
  expect(check(body), JSON.stringify(check.errors)).toBe(true);
  if (contentType === "application/problem+json") {
    const examples = Object.keys((media as unknown as { examples?: Json }).examples ?? {});
    expect(examples, "the problem type is listed for this status").toContain(
      (body as { type: string }).type.split(":").at(-1),
    );
  }
}

describe("the OpenAPI document", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe("3.1.0");
  });

  it("lists every problem type the code can produce, and no other", () => {
    const source = readFileSync("lib/errors.ts", "utf8");
    const slugs = [...source.matchAll(/slug(?::\s*string)?\s*=\s*"([a-z-]+)"/g)].map(
      (m) => `urn:token-broker:problem:${m[1]}`,
    );
    expect([...(doc.components.schemas.ProblemType?.enum as string[])].sort()).toEqual(
      [...new Set(slugs)].sort(),
    );
  });

  it("every BrokerError, as the handler serializes it, fits the Problem schema and its status's response", () => {
    const check = ajv.compile({ $ref: "openapi#/components/schemas/Problem" });
    const instances: errors.BrokerError[] = [];
    for (const value of Object.values(errors)) {
      if (typeof value !== "function" || !(value.prototype instanceof errors.BrokerError)) continue;
      const Ctor = value as unknown as new (...args: unknown[]) => errors.BrokerError;
      instances.push(
        Ctor === errors.MethodNotAllowedError
          ? new Ctor(["POST"])
          : Ctor === errors.SecretNotFoundError
            ? new Ctor("s")
            : new Ctor("detail"),
      );
    }
    expect(instances.length).toBeGreaterThanOrEqual(25);
    for (const error of instances) {
      const body = JSON.parse(problem(error, "req-1").body) as { type: string; status: number };
      expect(check(body), `${error.name}: ${JSON.stringify(check.errors)}`).toBe(true);
      const response = deref({ $ref: `#/components/responses/Problem${body.status}` });
      const examples =
        (response.content as Record<string, { examples: Json }>)["application/problem+json"]?.examples ?? {};
      expect(Object.keys(examples), `${error.name} listed under Problem${body.status}`).toContain(
        body.type.split(":").at(-1),
      );
    }
  });
});

describe("the proxy operations", () => {
  const PX = "/v1/connections/{name}/proxy/{path}";
  const operations = Object.entries(doc.paths[PX] ?? {}).filter(([, op]) => typeof op === "object");

  it("document every 4xx/5xx as the upstream's own answer (any media type, marked) or the broker's problem", () => {
    expect(operations.length).toBeGreaterThanOrEqual(6);
    for (const [method, operation] of operations) {
      for (const [status, documented] of Object.entries(operation.responses)) {
        const resolved = deref(documented as Json) as {
          content: Record<string, unknown>;
          headers: Record<string, unknown>;
        };
        expect(Object.keys(resolved.content), `${method} ${status}`).toContain("*/*");
        expect(Object.keys(resolved.headers), `${method} ${status}`).toContain("x-broker-proxied");
      }
    }
  });

  it("describe the greedy path so that a generated client does not encode its /", () => {
    for (const [, operation] of operations) {
      const path = (
        operation as unknown as { parameters: { name: string; description: string; "x-greedy"?: boolean }[] }
      ).parameters.find((p) => p.name === "path");
      expect(path?.["x-greedy"]).toBe(true);
      expect(path?.description).toMatch(/must not percent-encode/);
    }
  });
});

describe("the handler's answers conform to the document", () => {
  let upstream: TestServer;
  let handler: ReturnType<typeof createTokenHandler>;
  const context = {
    awsRequestId: "req-1",
    functionName: "token",
    getRemainingTimeInMillis: () => 10_000,
  } as unknown as Context;
  const allow = [{ scopes: ["broker/token"] }];

  beforeAll(async () => {
    upstream = await startServer((req, res) => {
      if (req.path.startsWith("/fail")) return sendJson(res, 500, { error: "boom" });
      if (req.path.startsWith("/busy")) return sendJson(res, 503, {}, { "retry-after": "1" });
      if (req.path.startsWith("/api/teapot")) {
        res.writeHead(404, { "content-type": "text/plain" });
        return void res.end("short and stout");
      }
      if (req.path.startsWith("/api")) return sendJson(res, 200, { ok: true });
      return sendJson(res, 200, { access_token: "tok-123", token_type: "Bearer", expires_in: 300 });
    });
    const cc = (path: string) => ({
      scheme: "oauth2-client-credentials",
      secret: "cc",
      tokenUrl: `${upstream.url}${path}`,
      access: allow,
    });
    const broker = new Broker({
      config: parseConfig({
        connections: {
          signed: { preset: "x-signature", secret: "signed", access: allow },
          ok: {
            ...cc("/token"),
            delivery: "both",
            proxy: { baseUrl: upstream.url, allow: [{ methods: ["GET"], paths: ["/api/**"] }] },
          },
          failing: { ...cc("/fail"), delivery: "headers" },
          busy: { ...cc("/busy"), delivery: "headers" },
          static: {
            preset: "jet-admin",
            secret: "static",
            access: allow,
            proxy: { baseUrl: upstream.url, allow: [{ methods: ["GET"], paths: ["/api/x"] }] },
          },
          nobody: { preset: "x-signature", secret: "signed", access: [{ groups: ["admins"] }] },
          missing: { preset: "x-signature", secret: "does-not-exist", access: allow },
        },
      }),
      secrets: new MemorySecrets({
        signed: { apiKey: "k", jwtKey: "a-jwt-signing-key-of-32-bytes-or-more!!" },
        cc: { clientId: "c", clientSecret: "s" },
        static: { token: "static-token" },
      }),
      http: new HttpClient({ maxAttempts: 1, timeoutMs: 1000 }),
    });
    handler = createTokenHandler(
      () => broker,
      readSettings({ BROKER_CORS_ORIGINS: "https://app.example.com" }),
    );
    return () => upstream.close();
  });

  const event = (
    method: string,
    path: string,
    init: {
      routeKey?: string;
      params?: Json;
      body?: string;
      headers?: Record<string, string>;
      claims?: boolean;
    } = {},
  ) =>
    ({
      version: "2.0",
      routeKey: init.routeKey ?? "$default",
      rawPath: path,
      rawQueryString: "",
      headers: init.headers ?? {},
      ...(init.params ? { pathParameters: init.params } : {}),
      requestContext: {
        http: { method, path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "test" },
        requestId: "req-1",
        routeKey: init.routeKey ?? "$default",
        ...(init.claims === false
          ? {}
          : {
              authorizer: { jwt: { claims: { sub: "u", scope: "broker/token" }, scopes: ["broker/token"] } },
            }),
      },
      ...(init.body !== undefined ? { body: init.body } : {}),
      isBase64Encoded: false,
    }) as unknown as APIGatewayProxyEventV2;
  const token = (name: string, init: Parameters<typeof event>[2] = {}) =>
    handler(
      event("POST", `/v1/connections/${name}/token`, {
        routeKey: "POST /v1/connections/{name}/token",
        params: { name },
        ...init,
      }),
      context,
    );
  const proxy = (name: string, path: string) =>
    handler(
      event("GET", `/v1/connections/${name}/proxy/${path}`, {
        routeKey: "ANY /v1/connections/{name}/proxy/{path+}",
        params: { name, path },
      }),
      context,
    );
  const T = "/v1/connections/{name}/token";
  const PX = "/v1/connections/{name}/proxy/{path}";

  it.each([
    [
      "health",
      () => handler(event("GET", "/health", { routeKey: "GET /health", claims: false }), context),
      "/health",
      "get",
      200,
    ],
    [
      "list",
      () => handler(event("GET", "/v1/connections", { routeKey: "GET /v1/connections" }), context),
      "/v1/connections",
      "get",
      200,
    ],
    [
      "list, no caller",
      () =>
        handler(event("GET", "/v1/connections", { routeKey: "GET /v1/connections", claims: false }), context),
      "/v1/connections",
      "get",
      401,
    ],
    ["minted credential", () => token("signed"), T, "post", 200],
    ["exchanged credential", () => token("ok"), T, "post", 200],
    [
      "bad-request",
      () => token("signed", { body: "{", headers: { "content-type": "application/json" } }),
      T,
      "post",
      400,
    ],
    ["unauthorized", () => token("signed", { claims: false }), T, "post", 401],
    ["connection-access-denied", () => token("nobody"), T, "post", 403],
    [
      "origin-not-allowed",
      () => token("signed", { headers: { origin: "https://evil.example.com" } }),
      T,
      "post",
      403,
    ],
    ["connection-proxy-only", () => token("static"), T, "post", 403],
    ["connection-not-found", () => token("nope"), T, "post", 404],
    [
      "payload-too-large",
      () =>
        token("signed", {
          body: `{"a":"${"x".repeat(5000)}"}`,
          headers: { "content-type": "application/json" },
        }),
      T,
      "post",
      413,
    ],
    [
      "unsupported-media-type",
      () => token("signed", { body: "x", headers: { "content-type": "text/plain" } }),
      T,
      "post",
      415,
    ],
    ["secret-not-found", () => token("missing"), T, "post", 500],
    ["upstream-error", () => token("failing"), T, "post", 502],
    ["upstream-unavailable", () => token("busy"), T, "post", 503],
    ["proxied answer", () => proxy("ok", "api/items"), PX, "get", 200],
    ["proxied upstream 404, any media type", () => proxy("ok", "api/teapot"), PX, "get", 404],
    ["proxy-path-invalid", () => proxy("ok", "api/%2e%2e/x"), PX, "get", 400],
    ["proxy-request-not-allowed", () => proxy("ok", "admin"), PX, "get", 403],
    ["proxy-not-enabled", () => proxy("signed", "api/x"), PX, "get", 403],
  ] as const)("%s", async (_, call, path, method, status) => {
    const response = await call();
    expect(response.statusCode).toBe(status);
    expectConforms(path, method, response);
  });
});

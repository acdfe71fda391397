import type { Server } from "node:http";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokenHandler } from "../../functions/token/handler.ts";
import { AUDIT_FORMAT, type AuditRecord } from "../../lib/audit/audit-record.ts";
import { Broker } from "../../lib/broker.ts";
import { parseConfig } from "../../lib/config/broker-config.ts";
import { serveLocally, serverUrl } from "../../lib/http/local-gateway.ts";
import { readSettings } from "../../lib/runtime/settings.ts";
import { HttpClient } from "../../lib/upstream/http-client.ts";
import { callerIssuer } from "../helpers/callers.ts";
import type { TestServer } from "../helpers/http-server.ts";
import { startStaticBearerServer } from "../helpers/resource-servers.ts";
import { MemorySecrets } from "../helpers/secrets.ts";
import { startTokenServer, type TokenServer } from "../helpers/token-server.ts";

/**
 * The audit trail end to end: raw HTTP through the local gateway (real JWT verification) to the
 * token handler writing audit records to a file (BROKER_AUDIT=file:...), as `npm start` does.
 */
const SECRETS = {
  signed: { apiKey: "audit-api-key-7d21", jwtKey: "audit-jwt-signing-key-0123456789abcdef-QRS" },
  static: { token: "audit-static-bearer-token-55c1e9" },
  oauth: { clientId: "audit-client", clientSecret: "audit-client-secret-9f3b" },
};
const ORIGIN = "https://app.example.com";
const ISSUER = "https://issuer.audit.test/";

let tokens: TokenServer;
let failing: TokenServer;
let bearer: TestServer;
let server: Server;
let base: string;
let auditFile: string;
let caller: string;
let otherCaller: string;
const answered: string[] = []; // every answer body, tokens and signatures included

beforeAll(async () => {
  tokens = await startTokenServer();
  failing = await startTokenServer();
  failing.respond = () => ({ status: 500, body: { error: "server_error" } });
  bearer = await startStaticBearerServer(SECRETS.static.token);
  const allow = [{ scopes: ["broker/token"] }];
  const cc = (url: string) => ({
    scheme: "oauth2-client-credentials",
    secret: "oauth",
    tokenUrl: `${url}/token`,
    access: allow,
    delivery: "headers",
  });
  const config = parseConfig({
    connections: {
      signed: { preset: "x-signature", secret: "signed", access: allow },
      oauth: cc(tokens.url),
      failing: cc(failing.url),
      static: {
        preset: "jet-admin",
        secret: "static",
        access: allow,
        proxy: { baseUrl: bearer.url, allow: [{ methods: ["GET"], paths: ["/api/items", "/api/missing"] }] },
      },
      admins: { preset: "x-signature", secret: "signed", access: [{ groups: ["admins"] }] },
    },
  });
  const broker = new Broker({
    config,
    secrets: new MemorySecrets(SECRETS),
    http: new HttpClient({ maxAttempts: 1 }),
  });
  const { authorizer, sign: signFor } = await callerIssuer(ISSUER);
  const sign = (sub: string) => signFor(sub, { client_id: "web-app", aud: "broker" });
  caller = await sign("user-1");
  otherCaller = await sign("user-2");
  auditFile = join(mkdtempSync(join(tmpdir(), "audit-")), "audit.jsonl");
  const settings = readSettings({ BROKER_CORS_ORIGINS: ORIGIN, BROKER_AUDIT: `file:${auditFile}` });
  server = await serveLocally(
    createTokenHandler(() => broker, settings),
    0,
    { authorizer },
  );
  base = serverUrl(server);
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await Promise.all([tokens.close(), failing.close(), bearer.close()]);
});

function records(): AuditRecord[] {
  let text: string;
  try {
    text = readFileSync(auditFile, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditRecord);
}

/** Sends one request; returns its answer and the audit records it added. */
async function audit(
  method: string,
  path: string,
  options: { token?: string | null; headers?: Record<string, string>; body?: string } = {},
) {
  const before = records().length;
  const token = options.token === undefined ? caller : options.token;
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined ? { body: options.body } : {}),
  });
  const text = await response.text();
  answered.push(text);
  return { status: response.status, added: records().slice(before) };
}

const T = (name: string) => `/v1/connections/${name}/token`;
const P = "urn:token-broker:problem:";

describe("audit trail: one record per decision, for every route and refusal", () => {
  it("neither the health check nor a preflight is a credential decision: no record", async () => {
    expect((await audit("GET", "/health", { token: null })).added).toEqual([]);
    const preflight = await audit("OPTIONS", T("signed"), {
      token: null,
      headers: { origin: ORIGIN, "access-control-request-method": "POST" },
    });
    expect(preflight.added).toEqual([]);
  });

  const cases: [string, () => ReturnType<typeof audit>, Partial<AuditRecord>][] = [
    ["the connection list", () => audit("GET", "/v1/connections"), { decision: "listed", status: 200 }],
    [
      "a minted credential",
      () => audit("POST", T("signed")),
      { decision: "issued", status: 200, connection: "signed", credential: { source: "minted" } as never },
    ],
    [
      "an exchanged token from the upstream",
      () => audit("POST", T("oauth")),
      { decision: "issued", connection: "oauth", credential: { source: "upstream" } as never },
    ],
    [
      "the same token from memory",
      () => audit("POST", T("oauth")),
      { decision: "issued", connection: "oauth", credential: { source: "memory" } as never },
    ],
    [
      "a proxied call",
      () => audit("GET", "/v1/connections/static/proxy/api/items"),
      {
        decision: "proxied",
        status: 200,
        connection: "static",
        proxy: { method: "GET", rule: 0, upstreamStatus: 200 } as never,
        credential: { source: "minted" } as never,
      },
    ],
    [
      "a proxied call the upstream answers 404",
      () => audit("GET", "/v1/connections/static/proxy/api/missing"),
      { decision: "proxied", status: 404, proxy: { upstreamStatus: 404 } as never },
    ],
    [
      "a proxied call no rule allows",
      () => audit("DELETE", "/v1/connections/static/proxy/api/items"),
      {
        decision: "refused",
        status: 403,
        problemType: `${P}proxy-request-not-allowed`,
        connection: "static",
      },
    ],
    [
      "a proxy path with dot segments",
      () => audit("GET", "/v1/connections/static/proxy/api/..;x/admin"),
      { decision: "refused", status: 400, problemType: `${P}proxy-path-invalid` },
    ],
    [
      "the token route of a proxy-only connection",
      () => audit("POST", T("static")),
      { decision: "refused", status: 403, problemType: `${P}connection-proxy-only`, connection: "static" },
    ],
    [
      "a connection the caller may not use",
      () => audit("POST", T("admins")),
      { decision: "refused", status: 403, problemType: `${P}connection-access-denied`, connection: "admins" },
    ],
    [
      "an unknown connection",
      () => audit("POST", T("nope")),
      { decision: "refused", status: 404, problemType: `${P}connection-not-found` },
    ],
    [
      "no caller token",
      () => audit("POST", T("signed"), { token: null }),
      { decision: "refused", status: 401, problemType: `${P}unauthorized` },
    ],
    [
      "a caller token the authorizer refuses",
      () => audit("POST", T("signed"), { token: "not-a-jwt" }),
      { decision: "refused", status: 401, problemType: `${P}unauthorized` },
    ],
    [
      "a bad request body",
      () => audit("POST", T("signed"), { headers: { "content-type": "application/json" }, body: "{" }),
      { decision: "refused", status: 400, problemType: `${P}bad-request`, connection: "signed" },
    ],
    [
      "a body that is not JSON",
      () => audit("POST", T("signed"), { headers: { "content-type": "text/plain" }, body: "hello" }),
      { decision: "refused", status: 415, problemType: `${P}unsupported-media-type`, connection: "signed" },
    ],
    [
      "a body over the limit",
      () =>
        audit("POST", T("signed"), {
          headers: { "content-type": "application/json" },
          body: " ".repeat(5000),
        }),
      { decision: "refused", status: 413, problemType: `${P}payload-too-large`, connection: "signed" },
    ],
    [
      "a forced refresh the connection does not allow",
      () =>
        audit("POST", T("oauth"), {
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ rejectedTokenId: "A".repeat(22) }),
        }),
      {
        decision: "refused",
        status: 403,
        problemType: `${P}forced-refresh-not-enabled`,
        connection: "oauth",
      },
    ],
    [
      "an upstream failure",
      () => audit("POST", T("failing")),
      { decision: "refused", status: 502, problemType: `${P}upstream-error`, connection: "failing" },
    ],
    [
      "a foreign origin",
      () => audit("POST", T("signed"), { headers: { origin: "https://evil.example" } }),
      { decision: "refused", status: 403, problemType: `${P}origin-not-allowed` },
    ],
    [
      "a wrong method",
      () => audit("DELETE", T("signed")),
      { decision: "refused", status: 405, problemType: `${P}method-not-allowed` },
    ],
    [
      "no such route",
      () => audit("GET", "/v2/anything"),
      { decision: "refused", status: 404, problemType: `${P}not-found`, route: "$default" },
    ],
  ];

  for (const [label, send, expected] of cases) {
    it(`${label}: exactly one record, with the schema`, async () => {
      const { status, added } = await send();
      expect(added, label).toHaveLength(1);
      const [record] = added as [AuditRecord];
      expect(record.status).toBe(status);
      expect(record).toMatchObject(expected);
      expectSchema(record);
      if (record.decision !== "refused") expect(record.problemType).toBeUndefined();
    });
  }

  it("records the verified caller: iss, sub and client_id, never the token", async () => {
    const { added } = await audit("POST", T("signed"), { token: otherCaller });
    expect(added[0]?.caller).toEqual({ iss: ISSUER, sub: "user-2", clientId: "web-app" });
  });

  it("an exchanged credential's record names its token by tokenId and expiry", async () => {
    const { added } = await audit("POST", T("oauth"));
    const answer = JSON.parse(answered.at(-1) ?? "{}") as { tokenId: string; expiresAt: string };
    expect(added[0]?.credential).toEqual({
      source: "memory",
      tokenId: answer.tokenId,
      expiresAt: answer.expiresAt,
    });
  });

  it("no record holds a secret, a token, a signature or a caller's token", () => {
    const everything = readFileSync(auditFile, "utf8");
    const values = [
      ...Object.values(SECRETS).flatMap((s) => Object.values(s)),
      caller,
      otherCaller,
      "token-1", // the upstream's access token
    ];
    // Everything the token route handed out (header values: API keys, signatures, bearer tokens).
    for (const body of answered) {
      try {
        const { headers } = JSON.parse(body) as { headers?: Record<string, string> };
        for (const value of Object.values(headers ?? {})) values.push(value, ...value.split(" "));
      } catch {
        // a proxied body
      }
    }
    for (const value of values.filter((v) => v.length >= 6)) {
      for (const form of [
        value,
        Buffer.from(value).toString("base64"),
        Buffer.from(value).toString("base64url"),
        encodeURIComponent(value),
      ]) {
        expect(everything).not.toContain(form);
      }
    }
    expect(everything).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/); // no JWT of any kind
  });
});

const RECORD_KEYS = new Set([
  "audit",
  "time",
  "decision",
  "status",
  "route",
  "method",
  "requestId",
  "lambdaRequestId",
  "problemType",
  "caller",
  "connection",
  "credential",
  "proxy",
]);

function expectSchema(record: AuditRecord) {
  expect(record.audit).toBe(AUDIT_FORMAT);
  for (const key of Object.keys(record)) expect(RECORD_KEYS.has(key), key).toBe(true);
  expect(new Date(record.time).toISOString()).toBe(record.time);
  expect(["issued", "proxied", "listed", "refused"]).toContain(record.decision);
  expect(record.requestId).toMatch(/\S+/);
  expect(record.lambdaRequestId).toMatch(/\S+/);
  expect(typeof record.route).toBe("string");
  if (record.credential) {
    expect(["minted", "memory", "shared", "upstream"]).toContain(record.credential.source);
    expect(new Date(record.credential.expiresAt).toISOString()).toBe(record.credential.expiresAt);
    if (record.credential.tokenId) expect(record.credential.tokenId).toMatch(/^[A-Za-z0-9_-]{22}$/);
  }
  if (record.proxy) {
    expect(typeof record.proxy.method).toBe("string");
    if (record.proxy.upstreamHost) expect(record.proxy.upstreamHost).toMatch(/^127\.0\.0\.1:\d+$/);
  }
}

import type { Server } from "node:http";
import { createLocalJWKSet, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokenHandler } from "../../functions/token/handler.ts";
import { verifiedCaller } from "../../lib/auth/caller.ts";
import { isAllowed } from "../../lib/auth/access-policy.ts";
import { LocalJwtAuthorizer } from "../../lib/auth/local-jwt-authorizer.ts";
import { serveLocally, serverUrl } from "../../lib/http/local-gateway.ts";
import { testBroker } from "../helpers/broker.ts";
import { readSettings } from "../../lib/runtime/settings.ts";

/**
 * The parity table of docs/security.md, row by row and in both directions: what API Gateway's HTTP API JWT
 * authorizer accepts, the local authorizer accepts; what it refuses, the local one refuses.
 */
const ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example";
const AUDIENCE = "app-client-id";
const NOW = Math.floor(Date.UTC(2026, 10, 23, 12, 0, 0) / 1000);
const rsa = await generateKeyPair("RS256");
const ec = await generateKeyPair("ES256");
const ps = await generateKeyPair("PS256");
const keys = await Promise.all([
  exportJWK(rsa.publicKey).then((k) => ({ ...k, kid: "rsa", alg: "RS256" })),
  exportJWK(ec.publicKey).then((k) => ({ ...k, kid: "ec", alg: "ES256" })),
  exportJWK(ps.publicKey).then((k) => ({ ...k, kid: "ps", alg: "PS256" })),
]);
const authorizer = new LocalJwtAuthorizer({
  jwks: createLocalJWKSet({ keys }),
  issuer: ISSUER,
  audience: [AUDIENCE],
  requiredScopes: ["broker/token"],
  now: () => NOW * 1000,
});

interface TokenOptions {
  alg?: "RS256" | "ES256" | "PS256";
  kid?: string | null;
  claims?: JWTPayload;
  omit?: string[];
}

/** A Cognito-shaped access token: client_id and no aud unless the row says otherwise. */
async function token({ alg = "RS256", kid, claims = {}, omit = [] }: TokenOptions = {}): Promise<string> {
  const payload: JWTPayload = {
    iss: ISSUER,
    sub: "caller-a",
    client_id: AUDIENCE,
    token_use: "access",
    scope: "broker/token",
    iat: NOW - 60,
    exp: NOW + 3600,
    ...claims,
  };
  for (const name of omit) delete payload[name];
  const key = { RS256: rsa, ES256: ec, PS256: ps }[alg].privateKey;
  const header = {
    alg,
    ...(kid === null ? {} : { kid: kid ?? { RS256: "rsa", ES256: "ec", PS256: "ps" }[alg] }),
  };
  return new SignJWT(payload).setProtectedHeader(header).sign(key);
}

const rows: [string, () => Promise<string>, number][] = [
  ["Bearer <token>", async () => `Bearer ${await token()}`, 200],
  ["the token alone (identitySource may hold only the token)", token, 200],
  ["another scheme", async () => `Basic ${await token()}`, 401],
  ["RS256", async () => `Bearer ${await token({ alg: "RS256" })}`, 200],
  ["ES256 (not RSA)", async () => `Bearer ${await token({ alg: "ES256" })}`, 401],
  ["PS256 (not in the RSA PKCS#1 set)", async () => `Bearer ${await token({ alg: "PS256" })}`, 401],
  ["no kid header", async () => `Bearer ${await token({ kid: null })}`, 401],
  ["a kid not in the JWKS", async () => `Bearer ${await token({ kid: "unknown" })}`, 401],
  ["another issuer", async () => `Bearer ${await token({ claims: { iss: "https://evil.example" } })}`, 401],
  ["Cognito access token: client_id, no aud", async () => `Bearer ${await token()}`, 200],
  [
    "client_id not in the audience, no aud",
    async () => `Bearer ${await token({ claims: { client_id: "x" } })}`,
    401,
  ],
  ["neither aud nor client_id", async () => `Bearer ${await token({ omit: ["client_id"] })}`, 401],
  [
    "ID token: aud in the audience",
    async () => `Bearer ${await token({ claims: { aud: AUDIENCE }, omit: ["client_id"] })}`,
    200,
  ],
  [
    "aud as a list holding the audience",
    async () => `Bearer ${await token({ claims: { aud: ["x", AUDIENCE] } })}`,
    200,
  ],
  [
    "aud wrong, client_id right (aud decides)",
    async () => `Bearer ${await token({ claims: { aud: "other" } })}`,
    401,
  ],
  ["exp in the past", async () => `Bearer ${await token({ claims: { exp: NOW - 1 } })}`, 401],
  ["no exp", async () => `Bearer ${await token({ omit: ["exp"] })}`, 401],
  ["nbf in the past", async () => `Bearer ${await token({ claims: { nbf: NOW - 10 } })}`, 200],
  ["nbf in the future", async () => `Bearer ${await token({ claims: { nbf: NOW + 60 } })}`, 401],
  ["iat a day in the future", async () => `Bearer ${await token({ claims: { iat: NOW + 86_400 } })}`, 401],
  ["iat a minute in the future", async () => `Bearer ${await token({ claims: { iat: NOW + 60 } })}`, 401],
  ["no iat", async () => `Bearer ${await token({ omit: ["iat"] })}`, 200],
  [
    "one of the required scopes in scope",
    async () => `Bearer ${await token({ claims: { scope: "openid broker/token" } })}`,
    200,
  ],
  [
    "the scope in scp (a list)",
    async () => `Bearer ${await token({ claims: { scp: ["broker/token"] }, omit: ["scope"] })}`,
    200,
  ],
  ["no required scope", async () => `Bearer ${await token({ claims: { scope: "openid" } })}`, 403],
];

describe("caller authentication parity with API Gateway's JWT authorizer", () => {
  it.each(rows.map(([row, make, status]) => ({ row, make, status })))(
    "$row → $status",
    async ({ make, status }) => {
      const outcome = await authorizer.verify(await make()).then(
        () => 200,
        (error: { status: number }) => error.status,
      );
      expect(outcome).toBe(status);
    },
  );
});

describe("access rules: only identity-provider list claims are lists", () => {
  // How API Gateway hands claims to Lambda: strings, arrays rendered "[a b]".
  const caller = (claims: Record<string, string>) => verifiedCaller(claims, ["broker/token"]);
  it.each([
    [
      "a string claim shaped like a list does not match",
      { tenant: "[globex]" },
      [{ claims: { tenant: ["globex"] } }],
      false,
    ],
    [
      "a string claim equal to the listed value matches",
      { tenant: "globex" },
      [{ claims: { tenant: ["globex"] } }],
      true,
    ],
    [
      "a sub shaped like a list does not match a subject",
      { sub: "[caller-a]" },
      [{ subjects: ["caller-a"] }],
      false,
    ],
    ["a sub matches exactly", { sub: "caller-a" }, [{ subjects: ["caller-a"] }], true],
    [
      "cognito:groups rendered as a list matches a group",
      { "cognito:groups": "[admins frontend]" },
      [{ groups: ["frontend"] }],
      true,
    ],
    [
      "groups rendered as a list matches a claims rule",
      { groups: "[a b]" },
      [{ claims: { groups: ["b"] } }],
      true,
    ],
    [
      "a group outside the list does not match",
      { "cognito:groups": "[admins]" },
      [{ groups: ["frontend"] }],
      false,
    ],
  ] as const)("%s", (_, claims, rules, allowed) => {
    expect(isAllowed(rules as never, caller(claims as Record<string, string>))).toBe(allowed);
  });
});

describe("the local gateway's 401 and 403 go through the handler's middlewares", () => {
  const ORIGIN = "http://localhost:5173";
  let server: Server;
  let url: string;
  beforeAll(async () => {
    const { broker } = testBroker({}, {});
    server = await serveLocally(
      createTokenHandler(() => broker, readSettings({ BROKER_CORS_ORIGINS: ORIGIN })),
      0,
      {
        authorizer,
      },
    );
    url = serverUrl(server);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it.each([
    ["no token", undefined, 401, "unauthorized"],
    [
      "a token without the scope",
      async () => `Bearer ${await token({ claims: { scope: "openid" } })}`,
      403,
      "insufficient-scope",
    ],
  ] as const)(
    "%s: problem+json with requestId, CORS for the allowed origin, Vary",
    async (_, make, status, slug) => {
      const authorization = make ? await make() : undefined;
      const response = await fetch(`${url}/v1/connections`, {
        headers: { origin: ORIGIN, ...(authorization ? { authorization } : {}) },
      });
      expect(response.status).toBe(status);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(response.headers.get("access-control-allow-origin")).toBe(ORIGIN);
      expect(response.headers.get("vary")).toBe("Origin");
      expect(response.headers.get("cache-control")).toBe("no-store");
      const body = (await response.json()) as { type: string; requestId?: string };
      expect(body.type).toBe(`urn:token-broker:problem:${slug}`);
      expect(body.requestId).toMatch(/^[0-9a-f-]{36}$/);
    },
  );
});

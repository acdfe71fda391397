import { decodeProtectedHeader, exportJWK, exportPKCS8, generateKeyPair, jwtVerify } from "jose";
import jsonwebtoken from "jsonwebtoken";
import { describe, expect, it } from "vitest";
import { SecretInvalidError } from "../../lib/errors.ts";
import { testBroker } from "../helpers/broker.ts";

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0, 500); // .5 s: NumericDates must truncate to whole seconds
const NOW_S = Math.floor(NOW / 1000);
const now = () => NOW;
const JWT_KEY = "x-signature-jwt-key-0123456789abcdef"; // 36 bytes
const bytes = (s: string) => new TextEncoder().encode(s);

/** Verifies with jsonwebtoken (an independent implementation) as well as jose. */
async function verifyBoth(token: string, key: string, algorithm: "HS256" | "HS384" | "HS512" = "HS256") {
  const viaJose = await jwtVerify(token, bytes(key), { algorithms: [algorithm], currentDate: new Date(NOW) });
  const viaJsonwebtoken = jsonwebtoken.verify(token, key, { algorithms: [algorithm], clockTimestamp: NOW_S });
  expect(viaJsonwebtoken).toEqual(viaJose.payload);
  expect(viaJose.protectedHeader.alg).toBe(algorithm);
  return viaJose.payload;
}

describe("signed-jwt: the vendors it was designed from", () => {
  it("API key + JWT signing: x-api-key + x-signature = HS256 {key: apiKey, exp: now+15}", async () => {
    const { broker } = testBroker(
      { sig: { preset: "x-signature", secret: "sig" } },
      { sig: { apiKey: "user-api-key", jwtKey: JWT_KEY } },
      { now },
    );
    const credential = await broker.getCredential("sig");
    expect(Object.keys(credential.headers)).toEqual(["x-api-key", "x-signature"]);
    expect(credential.headers["x-api-key"]).toBe("user-api-key");
    const payload = await verifyBoth(credential.headers["x-signature"] as string, JWT_KEY);
    expect(payload).toEqual({ key: "user-api-key", exp: NOW_S + 15 });
    expect(credential.expiresAt).toBe((NOW_S + 15) * 1000);
  });

  it("API key + JWT signing organizations: x-api-key, x-app-key, x-app-signature = HS256 {key: appKey, exp: now+60} with the app secret", async () => {
    const appSecret = "organization-app-secret-0123456789abcdef";
    const { broker } = testBroker(
      { org: { preset: "x-signature-organization", secret: "org" } },
      { org: { apiKey: "user-key", appKey: "app-key", appSecret } },
      { now },
    );
    const { headers } = await broker.getCredential("org");
    expect(Object.keys(headers)).toEqual(["x-api-key", "x-app-key", "x-app-signature"]);
    expect(headers).toMatchObject({ "x-api-key": "user-key", "x-app-key": "app-key" });
    expect(await verifyBoth(headers["x-app-signature"] as string, appSecret)).toEqual({
      key: "app-key",
      exp: NOW_S + 60,
    });
  });

  it("Brief's JWT bearer Brief: Authorization: Bearer HS256 {clientId, iat}, no exp", async () => {
    const secretKey = "brief-team-secret-key-0123456789abcdef";
    const { broker } = testBroker(
      { brief: { preset: "brief", secret: "brief" } },
      { brief: { clientId: "public-key-1", secretKey } },
      { now },
    );
    const credential = await broker.getCredential("brief");
    const [scheme, token] = (credential.headers.Authorization as string).split(" ");
    expect(scheme).toBe("Bearer");
    expect(await verifyBoth(token as string, secretKey)).toEqual({ clientId: "public-key-1", iat: NOW_S });
    expect(credential.expiresAt).toBe(NOW + 60_000); // advisory reuse window: the JWT itself never expires
  });

  it("mints a new signature per request (never reuses one)", async () => {
    let t = NOW;
    const { broker } = testBroker(
      { sig: { preset: "x-signature", secret: "sig" } },
      { sig: { apiKey: "k", jwtKey: JWT_KEY } },
      { now: () => t },
    );
    const first = await broker.getCredential("sig");
    t += 1000;
    const second = await broker.getCredential("sig");
    expect(second.headers["x-signature"]).not.toBe(first.headers["x-signature"]);
    expect(second.source).toBe("minted");
  });
});

describe("signed-jwt: generic options", () => {
  const generic = (
    jwt: Record<string, unknown>,
    headers: Record<string, string> = { Authorization: "Bearer {{jwt}}" },
  ) => ({
    g: { scheme: "signed-jwt", secret: "g", jwt, headers },
  });

  it("base64 keys, HS512, literal and secret claims, jti and kid", async () => {
    const raw = "k".repeat(64);
    const { broker } = testBroker(
      generic(
        {
          algorithm: "HS512",
          key: { field: "key", encoding: "base64" },
          claims: { iss: "{{secret.iss}}", aud: "api", nested: { n: 1, who: "id-{{secret.iss}}" } },
          expiresInSeconds: 30,
          jwtId: true,
          header: { kid: "k1" },
        },
        { Authorization: "Bearer {{jwt}}", "x-client": "{{secret.iss}}" },
      ),
      { g: { key: Buffer.from(raw).toString("base64"), iss: "me" } },
      { now },
    );
    const a = await broker.getCredential("g");
    const b = await broker.getCredential("g");
    const token = (a.headers.Authorization as string).slice(7);
    expect(decodeProtectedHeader(token)).toEqual({ typ: "JWT", kid: "k1", alg: "HS512" });
    const payload = await verifyBoth(token, raw, "HS512");
    expect(payload).toMatchObject({
      iss: "me",
      aud: "api",
      nested: { n: 1, who: "id-me" },
      iat: NOW_S,
      exp: NOW_S + 30,
    });
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(
      (
        await jwtVerify((b.headers.Authorization as string).slice(7), bytes(raw), {
          currentDate: new Date(NOW),
        })
      ).payload.jti,
    ).not.toBe(payload.jti);
    expect(a.headers["x-client"]).toBe("me");
  });

  it.each([
    ["HS256", 31],
    ["HS384", 47],
    ["HS512", 63],
  ])("refuses a %s key of %i bytes (RFC 8725 3.5)", async (algorithm, length) => {
    const { broker } = testBroker(
      generic({ algorithm, key: { field: "key" }, claims: {} }),
      { g: { key: "k".repeat(length) } },
      { now },
    );
    const error = await broker.getCredential("g").catch((e) => e);
    expect(error).toBeInstanceOf(SecretInvalidError);
    expect(error.message).toBe(
      `Secret "g" field "key" is ${length} bytes; ${algorithm} needs a key of at least ${length + 1} bytes (RFC 7518 3.2).`,
    );
  });

  it("measures key length in decoded bytes for base64 keys", async () => {
    const { broker } = testBroker(
      generic({ key: { field: "key", encoding: "base64" }, claims: {} }),
      { g: { key: Buffer.alloc(31, 7).toString("base64") } }, // 44 base64 chars, 31 bytes
      { now },
    );
    await expect(broker.getCredential("g")).rejects.toThrow(/is 31 bytes/);
  });

  it.each(["RS256", "ES256", "EdDSA"] as const)(
    "signs %s with a PKCS#8 PEM or a JWK private key",
    async (algorithm) => {
      const { privateKey, publicKey } = await generateKeyPair(algorithm, { extractable: true });
      for (const key of [await exportPKCS8(privateKey), JSON.stringify(await exportJWK(privateKey))]) {
        const { broker } = testBroker(
          generic({ algorithm, key: { field: "pk" }, claims: { sub: "s" }, expiresInSeconds: 10 }),
          { g: { pk: key } },
          { now },
        );
        const token = ((await broker.getCredential("g")).headers.Authorization as string).slice(7);
        const { payload } = await jwtVerify(token, publicKey, {
          algorithms: [algorithm],
          currentDate: new Date(NOW),
        });
        expect(payload).toEqual({ sub: "s", iat: NOW_S, exp: NOW_S + 10 });
      }
    },
  );

  it("explains a private key that does not parse, without echoing it", async () => {
    const { broker } = testBroker(
      generic({ algorithm: "RS256", key: { field: "pk" }, claims: {} }),
      { g: { pk: "not-a-key-SECRETVALUE" } },
      { now },
    );
    const error = await broker.getCredential("g").catch((e) => e);
    expect(error).toBeInstanceOf(SecretInvalidError);
    expect(error.message).toBe('Secret "g" field "pk" is not a RS256 private key (PKCS#8 PEM or JWK).');
  });

  it("names a missing secret field", async () => {
    const { broker } = testBroker(
      { sig: { preset: "x-signature", secret: "sig" } },
      { sig: { jwtKey: JWT_KEY } },
      { now },
    );
    await expect(broker.getCredential("sig")).rejects.toThrow('Secret "sig" has no field "apiKey".');
  });

  it("refuses secret values that would inject header lines", async () => {
    const { broker } = testBroker(
      { sig: { preset: "x-signature", secret: "sig" } },
      { sig: { apiKey: "k\r\nx-evil: 1", jwtKey: JWT_KEY } },
      { now },
    );
    const error = await broker.getCredential("sig").catch((e) => e);
    expect(error).toBeInstanceOf(SecretInvalidError);
    expect(error.message).not.toContain("x-evil");
  });
});

describe("static", () => {
  it("Jet Admin's bearer token Jet Admin: Authorization: Bearer <token> from the secret", async () => {
    const { broker } = testBroker(
      { jet: { preset: "jet-admin", secret: "jet", delivery: "headers" } },
      { jet: { token: "jet-token-1" } },
      { now },
    );
    expect(await broker.getCredential("jet")).toEqual({
      connection: "jet",
      headers: { Authorization: "Bearer jet-token-1" },
      expiresAt: NOW + 300_000,
      source: "minted",
    });
  });

  it("any header layout, with a configured reuse window", async () => {
    const { broker } = testBroker(
      {
        k: {
          scheme: "static",
          delivery: "headers",
          secret: "k",
          headers: { "x-api-key": "{{secret.key}}", "x-tenant": "t-{{secret.tenant}}" },
          lifetimeSeconds: 30,
        },
      },
      { k: { key: "abc", tenant: "42" } },
      { now },
    );
    expect(await broker.getCredential("k")).toMatchObject({
      headers: { "x-api-key": "abc", "x-tenant": "t-42" },
      expiresAt: NOW + 30_000,
    });
  });
});

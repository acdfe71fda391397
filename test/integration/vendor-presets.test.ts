import { execFileSync } from "node:child_process";
import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeProtectedHeader, importSPKI, jwtVerify, type JWTPayload } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { UpstreamCredentialsRejectedError } from "../../lib/errors.ts";
import { JWT_BEARER } from "../../lib/schemes/oauth2-client-credentials.ts";
import { sendJson, startServer, type TestHandler } from "../helpers/http-server.ts";
import { instance, newTable, useDynamoDbLocal } from "../helpers/shared-brokers.ts";

/**
 * Each new vendor preset against a local upstream shaped after the vendor's documented endpoint,
 * which checks what the vendor checks (signature with the public key, exact claims and lifetimes,
 * grant type and parameters, client authentication) and refuses everything else. Upstream and
 * broker share one clock, so lifetimes are checked for real while tests move time.
 */
const db = useDynamoDbLocal();
const clock = { t: Date.UTC(2026, 10, 23, 12, 0, 0) };
const nowS = () => Math.floor(clock.t / 1000);

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const otherRsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
const pem = {
  rsaPkcs1: rsa.privateKey.export({ type: "pkcs1", format: "pem" }) as string,
  rsaPkcs8: rsa.privateKey.export({ type: "pkcs8", format: "pem" }) as string,
  otherRsa: otherRsa.privateKey.export({ type: "pkcs8", format: "pem" }) as string,
  rsaPublic: rsa.publicKey.export({ type: "spki", format: "pem" }) as string,
  ec: ec.privateKey.export({ type: "pkcs8", format: "pem" }) as string,
  ecPublic: ec.publicKey.export({ type: "spki", format: "pem" }) as string,
};
let certificate = "";
let certificateKey = "";

beforeAll(() => {
  // A self-signed certificate, as an Entra app registration would hold (openssl from the OS).
  const dir = mkdtempSync(join(tmpdir(), "entra-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=token-broker-test",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
    ],
    { stdio: "ignore" },
  );
  certificate = readFileSync(join(dir, "cert.pem"), "utf8");
  certificateKey = readFileSync(join(dir, "key.pem"), "utf8");
});

/** Verifies a JWT as the vendor would: signature, algorithm, then the caller's claim checks. */
async function verify(
  jwt: string,
  publicPem: string,
  alg: string,
): Promise<{ payload: JWTPayload; header: Record<string, unknown> }> {
  const { payload, protectedHeader } = await jwtVerify(jwt, await importSPKI(publicPem, alg), {
    algorithms: [alg],
    currentDate: new Date(clock.t),
  });
  return { payload, header: protectedHeader as Record<string, unknown> };
}

async function upstream(handler: TestHandler) {
  const server = await startServer(handler);
  db.closers.push(server.close);
  let calls = 0;
  return { ...server, count: () => calls, bump: () => calls++ };
}

/** Exchanged presets: obtain, serve from the shared cache to another instance, refresh after expiry. */
async function throughSharedCache(
  connection: Record<string, unknown>,
  secret: Record<string, string>,
  calls: () => number,
) {
  const startedAt = clock.t;
  const table = await newTable(db.client);
  const [a, b] = ["a", "b"].map((id) =>
    instance(id, db.client, table, { v: connection }, { v: secret }, { now: () => clock.t }),
  );
  const first = await a?.broker.getCredential("v");
  expect(first?.source).toBe("upstream");
  expect(await b?.broker.getCredential("v")).toMatchObject({ source: "shared", headers: first?.headers });
  expect(calls()).toBe(1);
  clock.t = (first?.expiresAt ?? 0) - 30_000; // inside the skew
  const refreshed = await b?.broker.getCredential("v");
  expect(refreshed?.source).toBe("upstream");
  expect(refreshed?.headers).not.toEqual(first?.headers);
  expect(calls()).toBe(2);
  return { a, b, first, startedAt };
}

const rejectedWith = async (promise: Promise<unknown> | undefined) =>
  (await promise?.catch((e: unknown) => e)) as Error;

describe("github-app (sign, then exchange)", () => {
  it("RS256 JWT {iat: now-60, exp <= 10 min, iss: app id} for a 201 {token, expires_at}; wrong key refused", async () => {
    let n = 0;
    const api = await upstream(async (req, res) => {
      const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
      try {
        const { payload } = await verify(auth, pem.rsaPublic, "RS256");
        const ok =
          req.method === "POST" &&
          req.path === "/app/installations/42/access_tokens" &&
          req.headers.accept === "application/vnd.github+json" &&
          payload.iss === "12345" &&
          (payload.iat ?? 0) <= nowS() - 59 &&
          (payload.exp ?? 0) - (payload.iat ?? 0) <= 600 &&
          JSON.parse(req.body || "{}").repositories?.[0] === "infra";
        if (!ok) return sendJson(res, 422, { message: "Validation Failed" });
      } catch {
        return sendJson(res, 401, { message: "A JSON web token could not be decoded" });
      }
      api.bump();
      sendJson(res, 201, { token: `ghs_${++n}`, expires_at: new Date(clock.t + 3_600_000).toISOString() });
    });
    const connection = {
      preset: "github-app",
      secret: "v",
      appId: "12345",
      installationId: "42",
      apiUrl: api.url,
      repositories: ["infra"],
    };
    const { first, startedAt } = await throughSharedCache(
      connection,
      { privateKey: pem.rsaPkcs1 },
      api.count,
    );
    expect(first?.headers).toEqual({ Authorization: "Bearer ghs_1" });
    expect(first?.expiresAt).toBe(startedAt + 3_600_000); // from expires_at (ISO 8601), not expires_in
    const table = await newTable(db.client);
    const wrong = instance(
      "w",
      db.client,
      table,
      { v: connection },
      { v: { privateKey: pem.otherRsa } },
      { now: () => clock.t },
    );
    expect(await rejectedWith(wrong.broker.getCredential("v"))).toBeInstanceOf(
      UpstreamCredentialsRejectedError,
    );
  });
});

describe("google-service-account (JWT-bearer grant)", () => {
  const email = "broker@project.iam.gserviceaccount.com";
  const key = {
    client_email: email,
    private_key: pem.rsaPkcs8,
    private_key_id: "kid-1",
    type: "service_account",
  };

  it("RS256 assertion {iss, scope, aud: token_uri, exp <= 1 h} with kid, no client auth; expired and wrong-key assertions refused", async () => {
    let n = 0;
    const google = await upstream(async (req, res) => {
      const form = new URLSearchParams(req.body);
      try {
        const jwt = form.get("assertion") ?? "";
        const { payload, header } = await verify(jwt, pem.rsaPublic, "RS256");
        const ok =
          form.get("grant_type") === JWT_BEARER &&
          req.headers.authorization === undefined &&
          header.kid === "kid-1" &&
          payload.iss === email &&
          payload.aud === `${google.url}/token` &&
          payload.scope ===
            "https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/drive" &&
          (payload.exp ?? 0) - (payload.iat ?? 0) <= 3600;
        if (!ok)
          return sendJson(res, 400, { error: "invalid_grant", error_description: "Invalid JWT Signature." });
      } catch {
        return sendJson(res, 400, {
          error: "invalid_grant",
          error_description: "Invalid JWT: Token must be a short-lived token",
        });
      }
      google.bump();
      sendJson(res, 200, { access_token: `ya29.token-${++n}`, expires_in: 3599, token_type: "Bearer" });
    });
    const connection = {
      preset: "google-service-account",
      secret: "v",
      scopes: ["https://www.googleapis.com/auth/cloud-platform", "https://www.googleapis.com/auth/drive"],
      tokenUri: `${google.url}/token`,
    };
    await throughSharedCache(connection, key, google.count);
    const table = await newTable(db.client);
    const wrong = instance(
      "w",
      db.client,
      table,
      { v: connection },
      { v: { ...key, private_key: pem.otherRsa } },
      { now: () => clock.t },
    );
    expect(await rejectedWith(wrong.broker.getCredential("v"))).toMatchObject({
      type: "urn:token-broker:problem:upstream-credentials-rejected",
      oauthError: "invalid_grant",
    });
    const missing = instance(
      "m",
      db.client,
      await newTable(db.client),
      { v: connection },
      { v: { private_key: pem.rsaPkcs8, private_key_id: "kid-1" } },
      { now: () => clock.t },
    );
    expect(await rejectedWith(missing.broker.getCredential("v"))).toMatchObject({
      type: "urn:token-broker:problem:secret-invalid",
    });
  });
});

describe("salesforce-jwt-bearer", () => {
  it("RS256 assertion {iss: consumer key, sub: username, aud: login URL, exp <= 3 min}; no expires_in, so the session lifetime", async () => {
    let n = 0;
    const sf = await upstream(async (req, res) => {
      const form = new URLSearchParams(req.body);
      try {
        const { payload } = await verify(form.get("assertion") ?? "", pem.rsaPublic, "RS256");
        const ok =
          req.path === "/services/oauth2/token" &&
          form.get("grant_type") === JWT_BEARER &&
          payload.iss === "3MVG9consumerKey" &&
          payload.sub === "integration@acme.example" &&
          payload.aud === sf.url &&
          (payload.exp ?? 0) <= nowS() + 180;
        if (!ok)
          return sendJson(res, 400, { error: "invalid_grant", error_description: "audience is invalid" });
      } catch {
        return sendJson(res, 400, { error: "invalid_grant", error_description: "invalid assertion" });
      }
      sf.bump();
      sendJson(res, 200, {
        access_token: `00D!session-${++n}`,
        instance_url: "https://acme.my.salesforce.com",
        token_type: "Bearer",
        scope: "api",
      });
    });
    const connection = {
      preset: "salesforce-jwt-bearer",
      secret: "v",
      username: "integration@acme.example",
      loginUrl: sf.url,
      sessionLifetimeSeconds: 600,
    };
    const { first } = await throughSharedCache(
      connection,
      { clientId: "3MVG9consumerKey", privateKey: pem.rsaPkcs8 },
      sf.count,
    );
    expect(first?.headers.Authorization).toBe("Bearer 00D!session-1");
  });
});

describe("zoom-server-to-server (custom grant, query parameters)", () => {
  it("grant_type=account_credentials, account_id in the query, HTTP Basic; a wrong secret is invalid_client", async () => {
    let n = 0;
    const zoom = await upstream(async (req, res) => {
      const url = new URL(req.path, "http://x");
      const form = new URLSearchParams(req.body);
      const basic = Buffer.from("zoom-client:zoom-secret-0123456789").toString("base64");
      if (req.headers.authorization !== `Basic ${basic}`)
        return sendJson(res, 401, { reason: "Invalid client_id or client_secret", error: "invalid_client" });
      if (
        url.pathname !== "/oauth/token" ||
        url.searchParams.get("account_id") !== "acct-77" ||
        form.get("grant_type") !== "account_credentials"
      ) {
        return sendJson(res, 400, { reason: "Unsupported grant type", error: "unsupported_grant_type" });
      }
      zoom.bump();
      sendJson(res, 200, {
        access_token: `zoom-${++n}`,
        token_type: "bearer",
        expires_in: 3600,
        scope: "user:read:admin",
      });
    });
    const connection = {
      preset: "zoom-server-to-server",
      secret: "v",
      accountId: "acct-77",
      tokenUrl: `${zoom.url}/oauth/token`,
    };
    await throughSharedCache(
      connection,
      { clientId: "zoom-client", clientSecret: "zoom-secret-0123456789" },
      zoom.count,
    );
    const wrong = instance(
      "w",
      db.client,
      await newTable(db.client),
      { v: connection },
      { v: { clientId: "zoom-client", clientSecret: "nope-0123456789" } },
      { now: () => clock.t },
    );
    expect(await rejectedWith(wrong.broker.getCredential("v"))).toBeInstanceOf(
      UpstreamCredentialsRejectedError,
    );
  });
});

describe("entra-certificate (certificate thumbprints)", () => {
  it("client assertion with x5t#S256 and x5t of the certificate, aud = v2.0 token endpoint, .default scope", async () => {
    let n = 0;
    const der = new X509Certificate(certificate);
    const s256 = Buffer.from(der.fingerprint256.replaceAll(":", ""), "hex").toString("base64url");
    const sha1 = Buffer.from(der.fingerprint.replaceAll(":", ""), "hex").toString("base64url");
    const publicPem = der.publicKey.export({ type: "spki", format: "pem" }) as string;
    const entra = await upstream(async (req, res) => {
      const form = new URLSearchParams(req.body);
      try {
        const assertion = form.get("client_assertion") ?? "";
        const header = decodeProtectedHeader(assertion);
        const { payload } = await verify(assertion, publicPem, "RS256");
        const ok =
          req.path === "/tenant-1/oauth2/v2.0/token" &&
          form.get("grant_type") === "client_credentials" &&
          form.get("client_assertion_type") === "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" &&
          // AADSTS900144: Entra requires client_id in the body of the certificate credentials request.
          form.get("client_id") === "app-client-id" &&
          header.typ === "JWT" &&
          form.get("scope") === "https://graph.microsoft.com/.default" &&
          header["x5t#S256"] === s256 &&
          header.x5t === sha1 &&
          payload.iss === "app-client-id" &&
          payload.sub === "app-client-id" &&
          payload.aud === `${entra.url}/tenant-1/oauth2/v2.0/token` &&
          typeof payload.jti === "string" &&
          typeof payload.nbf === "number";
        if (!ok)
          return sendJson(res, 401, {
            error: "invalid_client",
            error_description: "AADSTS700027: Client assertion failed signature validation.",
          });
      } catch {
        return sendJson(res, 401, { error: "invalid_client", error_description: "AADSTS700027" });
      }
      entra.bump();
      sendJson(res, 200, {
        token_type: "Bearer",
        expires_in: 3599,
        ext_expires_in: 3599,
        access_token: `eyJ0eXAi.entra-${++n}`,
      });
    });
    const connection = {
      preset: "entra-certificate",
      secret: "v",
      tenantId: "tenant-1",
      authority: entra.url,
    };
    await throughSharedCache(
      connection,
      { clientId: "app-client-id", privateKey: certificateKey, certificate },
      entra.count,
    );
    const noCert = instance(
      "w",
      db.client,
      await newTable(db.client),
      { v: connection },
      { v: { clientId: "app-client-id", privateKey: certificateKey, certificate: "not a certificate" } },
      { now: () => clock.t },
    );
    expect(await rejectedWith(noCert.broker.getCredential("v"))).toMatchObject({
      type: "urn:token-broker:problem:secret-invalid",
    });
  });
});

describe("app-store-connect (a minted JWT reused until shortly before exp)", () => {
  it("ES256 {iss, aud: appstoreconnect-v1, exp <= 20 min} with kid; the same JWT is reused, then renewed", async () => {
    const apple = await upstream(async (req, res) => {
      try {
        const { payload, header } = await verify(
          /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "",
          pem.ecPublic,
          "ES256",
        );
        const ok =
          header.kid === "KEY123ABCD" &&
          payload.iss === "69a6de70-03db-47e3-e053-5b8c7c11a4d1" &&
          payload.aud === "appstoreconnect-v1" &&
          (payload.exp ?? 0) - (payload.iat ?? 0) <= 1200;
        if (!ok) return sendJson(res, 401, { errors: [{ status: "401", code: "NOT_AUTHORIZED" }] });
      } catch {
        return sendJson(res, 401, { errors: [{ status: "401", code: "NOT_AUTHORIZED" }] });
      }
      sendJson(res, 200, { data: [] });
    });
    const table = await newTable(db.client);
    const { broker } = instance(
      "a",
      db.client,
      table,
      {
        v: {
          preset: "app-store-connect",
          secret: "v",
          issuerId: "69a6de70-03db-47e3-e053-5b8c7c11a4d1",
          keyId: "KEY123ABCD",
        },
      },
      { v: { privateKey: pem.ec } },
      { now: () => clock.t },
    );
    const first = await broker.getCredential("v");
    const call = async (headers: Record<string, string>) =>
      (await fetch(`${apple.url}/v1/apps`, { headers })).status;
    expect(await call(first.headers)).toBe(200);
    clock.t += 10 * 60_000;
    expect((await broker.getCredential("v")).headers).toEqual(first.headers); // reused: Apple allows it
    clock.t += 9 * 60_000 + 30_000; // within a minute of exp: renewed
    const renewed = await broker.getCredential("v");
    expect(renewed.headers).not.toEqual(first.headers);
    expect(await call(renewed.headers)).toBe(200);
  });
});

describe("auth0-m2m (client credentials with audience)", () => {
  it("client_id and client_secret in the body, the API's audience; upstream errors map to problem types", async () => {
    let n = 0;
    let fault: number | undefined;
    const auth0 = await upstream(async (req, res) => {
      if (fault) return sendJson(res, fault, { error: fault === 429 ? "too_many_requests" : "server_error" });
      const form = new URLSearchParams(req.body);
      if (form.get("client_id") !== "m2m-client" || form.get("client_secret") !== "m2m-secret-0123456789") {
        return sendJson(res, 401, { error: "access_denied", error_description: "Unauthorized" });
      }
      if (
        form.get("audience") !== "https://api.acme.example" ||
        form.get("grant_type") !== "client_credentials"
      ) {
        return sendJson(res, 403, {
          error: "access_denied",
          error_description: "Service not enabled within domain",
        });
      }
      auth0.bump();
      sendJson(res, 200, {
        access_token: `auth0-${++n}`,
        expires_in: 86400,
        token_type: "Bearer",
        scope: form.get("scope") ?? "",
      });
    });
    const connection = {
      preset: "auth0-m2m",
      secret: "v",
      tokenUrl: `${auth0.url}/oauth/token`,
      audience: "https://api.acme.example",
      scope: "read:orders",
    };
    const secret = { clientId: "m2m-client", clientSecret: "m2m-secret-0123456789" };
    await throughSharedCache(connection, secret, auth0.count);
    fault = 500;
    const table = await newTable(db.client);
    const server = instance("e", db.client, table, { v: connection }, { v: secret }, { now: () => clock.t });
    expect(await rejectedWith(server.broker.getCredential("v"))).toMatchObject({
      type: "urn:token-broker:problem:upstream-error",
      upstreamStatus: 500,
    });
    fault = 429;
    const limited = instance(
      "l",
      db.client,
      await newTable(db.client),
      { v: connection },
      { v: secret },
      { now: () => clock.t },
    );
    expect(await rejectedWith(limited.broker.getCredential("v"))).toMatchObject({
      type: "urn:token-broker:problem:upstream-unavailable",
    });
  });
});

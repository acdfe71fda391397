import { exportJWK, exportPKCS8, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SecretInvalidError, UpstreamCredentialsRejectedError, UpstreamError } from "../../lib/errors.ts";
import { testBroker } from "../helpers/broker.ts";
import { type OidcServer, startOidcServer } from "../helpers/oidc-server.ts";

// RFC 6749 2.3.1 / appendix A: VSCHAR, so ":", "%", "+" and space are legal and must survive encoding.
const CLIENT_ID = "cli:ent%+ id";
const CLIENT_SECRET = "s3cr:et%+ with space-0123456789-abcdefghij";

let oidc: OidcServer;
let privateKeyPem: string;
let ecPrivateKeyPem: string;

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  privateKeyPem = await exportPKCS8(privateKey);
  const jwk = { ...(await exportJWK(publicKey)), use: "sig", alg: "RS256" };
  const ec = await generateKeyPair("ES256", { extractable: true });
  ecPrivateKeyPem = await exportPKCS8(ec.privateKey);
  // Two keys: the provider must pick the one the assertion's kid names.
  const decoy = await generateKeyPair("ES256", { extractable: true });
  const ecKeys = [
    { ...(await exportJWK(decoy.publicKey)), use: "sig", alg: "ES256", kid: "old" },
    { ...(await exportJWK(ec.publicKey)), use: "sig", alg: "ES256", kid: "tokenos-2026" },
  ];
  oidc = await startOidcServer([
    { client_id: "tokenos-es256", token_endpoint_auth_method: "private_key_jwt", jwks: { keys: ecKeys } },
    {
      client_id: `${CLIENT_ID}-basic`,
      client_secret: CLIENT_SECRET,
      token_endpoint_auth_method: "client_secret_basic",
    },
    {
      client_id: `${CLIENT_ID}-post`,
      client_secret: CLIENT_SECRET,
      token_endpoint_auth_method: "client_secret_post",
    },
    {
      client_id: `${CLIENT_ID}-hsjwt`,
      client_secret: CLIENT_SECRET,
      token_endpoint_auth_method: "client_secret_jwt",
    },
    { client_id: `${CLIENT_ID}-pkjwt`, token_endpoint_auth_method: "private_key_jwt", jwks: { keys: [jwk] } },
    {
      client_id: "plain-client",
      client_secret: "plain-secret-0123456789",
      token_endpoint_auth_method: "client_secret_basic",
    },
  ]);
});
afterAll(() => oidc.close());

function connection(method: string, extra: Record<string, unknown> = {}) {
  return {
    cc: {
      scheme: "oauth2-client-credentials",
      secret: "cc",
      tokenUrl: oidc.tokenUrl,
      clientAuth: { method },
      scope: "read",
      ...extra,
    },
  };
}

describe("tokenos preset (TokenOS) client authentication options", () => {
  it("private_key_jwt with ES256 and a kid", async () => {
    const { broker } = testBroker(
      {
        tokenos: {
          preset: "tokenos",
          secret: "t",
          tokenUrl: oidc.tokenUrl,
          clientAuth: { method: "private_key_jwt", algorithm: "ES256", kid: "tokenos-2026" },
        },
      },
      { t: { clientId: "tokenos-es256", privateKey: ecPrivateKeyPem } },
    );
    const credential = await broker.getCredential("tokenos");
    expect(
      await oidc.provider.ClientCredentials.find((credential.headers.Authorization as string).slice(7)),
    ).toMatchObject({
      clientId: "tokenos-es256",
    });
  });

  it("client_secret_jwt by name", async () => {
    const { broker } = testBroker(
      {
        tokenos: { preset: "tokenos", secret: "t", tokenUrl: oidc.tokenUrl, clientAuth: "client_secret_jwt" },
      },
      { t: { clientId: `${CLIENT_ID}-hsjwt`, clientSecret: CLIENT_SECRET } },
    );
    expect((await broker.getCredential("tokenos")).source).toBe("upstream");
  });
});

describe("oauth2-client-credentials against oidc-provider", () => {
  it.each([
    ["client_secret_basic", "basic", {}],
    ["client_secret_post", "post", {}],
    ["client_secret_jwt", "hsjwt", {}],
    ["private_key_jwt", "pkjwt", { privateKey: "PEM" }],
  ])("%s with a client id and secret containing : %% + and space", async (method, suffix, extraSecret) => {
    const fields: Record<string, string> = {
      clientId: `${CLIENT_ID}-${suffix}`,
      clientSecret: CLIENT_SECRET,
    };
    if ("privateKey" in extraSecret) fields.privateKey = privateKeyPem;
    const { broker } = testBroker(connection(method), { cc: fields });
    const before = Date.now();
    const credential = await broker.getCredential("cc");
    const accessToken = (credential.headers.Authorization as string).replace(/^Bearer /, "");
    // The token is real: the provider knows it, for this client and scope.
    const stored = await oidc.provider.ClientCredentials.find(accessToken);
    expect(stored).toMatchObject({ clientId: `${CLIENT_ID}-${suffix}`, scope: "read" });
    expect(credential.expiresAt).toBeGreaterThanOrEqual(before + 600_000);
    expect(credential.expiresAt).toBeLessThanOrEqual(Date.now() + 600_000);
    expect(credential.source).toBe("upstream");
  });

  it("caches the token: the second request does not reach the token endpoint", async () => {
    const { broker } = testBroker(connection("client_secret_basic"), {
      cc: { clientId: `${CLIENT_ID}-basic`, clientSecret: CLIENT_SECRET },
    });
    const before = oidc.tokenRequests();
    const results = await Promise.all(Array.from({ length: 20 }, () => broker.getCredential("cc")));
    expect(oidc.tokenRequests() - before).toBe(1);
    expect(new Set(results.map((r) => r.headers.Authorization)).size).toBe(1);
    expect((await broker.getCredential("cc")).source).toBe("memory");
  });

  /** A connection that finds its token endpoint by discovery from the provider's issuer. */
  const discovering = (options: Parameters<typeof testBroker>[2] = {}) =>
    testBroker(
      {
        cc: {
          scheme: "oauth2-client-credentials",
          secret: "cc",
          issuer: oidc.issuer,
          clientAuth: { method: "client_secret_post" },
        },
      },
      { cc: { clientId: `${CLIENT_ID}-post`, clientSecret: CLIENT_SECRET } },
      options,
    );

  it("discovers the token endpoint from the issuer (RFC 8414, then OpenID discovery)", async () => {
    const { broker } = discovering();
    const credential = await broker.getCredential("cc");
    expect(
      await oidc.provider.ClientCredentials.find((credential.headers.Authorization as string).slice(7)),
    ).toBeTruthy();
  });

  it("in a deployed stage, a discovered token endpoint meets the deployed URL policy (no loopback, no http)", async () => {
    const { broker } = discovering({ upstreamPolicy: "deployed" });
    const before = oidc.tokenRequests();
    await expect(broker.getCredential("cc")).rejects.toMatchObject({
      slug: "upstream-invalid-response",
      message: expect.stringContaining("no usable token_endpoint"),
    });
    expect(oidc.tokenRequests()).toBe(before);
  });

  it("raw Basic is an explicit option: it works for plain ids and is never a silent fallback", async () => {
    const plain = testBroker(connection("client_secret_basic"), {
      cc: { clientId: "plain-client", clientSecret: "plain-secret-0123456789" },
    });
    await expect(plain.broker.getCredential("cc")).resolves.toBeTruthy();
    const raw = testBroker(
      {
        cc: {
          ...connection("client_secret_basic").cc,
          clientAuth: { method: "client_secret_basic", encoding: "raw" },
        },
      },
      { cc: { clientId: `${CLIENT_ID}-basic`.replace(":", ""), clientSecret: CLIENT_SECRET } },
    );
    // The provider form-decodes, so "%+ " sent raw is refused, and no other encoding is tried.
    const before = oidc.tokenRequests();
    const error = await raw.broker.getCredential("cc").catch((e) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ status: 502, upstreamStatus: 400, oauthError: "invalid_request" });
    expect(oidc.tokenRequests() - before).toBe(1);
  });

  it("a wrong secret is invalid_client: one forced secret re-read, then a clear error", async () => {
    const { broker, secrets } = testBroker(connection("client_secret_basic"), {
      cc: { clientId: `${CLIENT_ID}-basic`, clientSecret: "wrong-secret-0123456789-abcdef" },
    });
    const error = await broker.getCredential("cc").catch((e) => e);
    expect(error).toBeInstanceOf(UpstreamCredentialsRejectedError);
    expect(error).toMatchObject({ status: 502, upstreamStatus: 401, oauthError: "invalid_client" });
    expect(error.message).not.toContain("wrong-secret");
    expect(secrets.forcedReads.get("cc")).toBe(1);
  });

  it("survives a rotation: invalid_client with the old secret, success after the forced re-read", async () => {
    const { broker, secrets } = testBroker(connection("client_secret_post"), {
      cc: { clientId: `${CLIENT_ID}-post`, clientSecret: "rotated-out-secret-0123456789-abc" },
    });
    const reads = new Map<string, number>();
    const originalGet = secrets.get.bind(secrets);
    secrets.get = async (id, options) => {
      reads.set(id, (reads.get(id) ?? 0) + 1);
      if (options?.forceRefresh)
        secrets.set("cc", { clientId: `${CLIENT_ID}-post`, clientSecret: CLIENT_SECRET }, "v2");
      return originalGet(id, options);
    };
    const credential = await broker.getCredential("cc");
    expect(
      await oidc.provider.ClientCredentials.find((credential.headers.Authorization as string).slice(7)),
    ).toBeTruthy();
    expect(secrets.forcedReads.get("cc")).toBe(1);
  });

  it.each(["client_secret_basic", "client_secret_post", "client_secret_jwt"])(
    "%s: non-ASCII client credentials are refused before anything is sent (RFC 6749 appendix A)",
    async (method) => {
      const before = oidc.tokenRequests();
      for (const fields of [
        { clientId: "clïent", clientSecret: CLIENT_SECRET },
        { clientId: "client", clientSecret: `sécret-${CLIENT_SECRET}` },
      ]) {
        const { broker } = testBroker(connection(method), { cc: fields });
        const error = await broker.getCredential("cc").catch((e) => e);
        expect(error).toBeInstanceOf(SecretInvalidError);
        expect(error.message).toMatch(/printable ASCII \(RFC 6749 appendix A VSCHAR\)/);
      }
      expect(oidc.tokenRequests()).toBe(before);
    },
  );
});

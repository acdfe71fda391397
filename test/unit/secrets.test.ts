import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import { SecretInvalidError, SecretNotFoundError, UpstreamUnavailableError } from "../../lib/errors.ts";
import { awsSecretsManager } from "../../lib/secrets/aws-secrets-manager.ts";
import { CachedSecretSource } from "../../lib/secrets/cached-secret-source.ts";
import { localFileSecrets } from "../../lib/secrets/local-file-secrets.ts";
import type { RawSecret } from "../../lib/secrets/secret-source.ts";

function counting(value: RawSecret) {
  const calls: string[] = [];
  return {
    calls,
    fetch: async (id: string) => {
      calls.push(id);
      return value;
    },
  };
}

describe("CachedSecretSource", () => {
  it("reads each secret once per max-age and de-duplicates concurrent reads", async () => {
    let t = 0;
    const backend = counting({ versionId: "v1", secretString: '{"a":"1"}' });
    const source = new CachedSecretSource(backend.fetch, { maxAgeMs: 1000, now: () => t });
    await Promise.all(Array.from({ length: 50 }, () => source.get("s")));
    expect(backend.calls).toEqual(["s"]);
    t = 999;
    await source.get("s");
    expect(backend.calls).toHaveLength(1);
    t = 1000;
    expect(await source.get("s")).toEqual({ id: "s", versionId: "v1", fields: { a: "1" } });
    expect(backend.calls).toHaveLength(2);
  });

  it("forceRefresh re-reads (rotation after an upstream 401)", async () => {
    const backend = counting({ versionId: "v1", secretString: "{}" });
    const source = new CachedSecretSource(backend.fetch, { maxAgeMs: 60_000, now: () => 0 });
    await source.get("s");
    await source.get("s", { forceRefresh: true });
    expect(backend.calls).toHaveLength(2);
  });

  it("does not cache failures", async () => {
    let fail = true;
    const source = new CachedSecretSource(
      async (id) => {
        if (fail) throw new SecretNotFoundError(id);
        return { versionId: "v1", secretString: "{}" };
      },
      { maxAgeMs: 60_000, now: () => 0 },
    );
    await expect(source.get("s")).rejects.toBeInstanceOf(SecretNotFoundError);
    fail = false;
    await expect(source.get("s")).resolves.toMatchObject({ versionId: "v1" });
  });

  it.each([
    ["not JSON", "plain-SECRETVALUE", 'Secret "s" is not JSON; store a JSON object of named string fields.'],
    ["an array", '["SECRETVALUE"]', 'Secret "s" must be a JSON object of named string fields.'],
    ["a nested value", '{"k":{"v":"SECRETVALUE"}}', 'Secret "s" field "k" must be a string.'],
  ])("rejects a secret that is %s, without echoing it", async (_, secretString, message) => {
    const source = new CachedSecretSource(async () => ({ versionId: "v", secretString }), { maxAgeMs: 0 });
    const error = await source.get("s").catch((e) => e);
    expect(error).toBeInstanceOf(SecretInvalidError);
    expect(error.message).toBe(message);
  });
});

describe("local file secrets", () => {
  it("reads entries by id and versions them by content", async () => {
    const dir = mkdtempSync(join(tmpdir(), "secrets-"));
    const path = join(dir, "secrets.json");
    writeFileSync(path, JSON.stringify({ "a/b": { k: "1" } }));
    const fetch = localFileSecrets(path);
    const first = await fetch("a/b");
    expect(JSON.parse(first.secretString)).toEqual({ k: "1" });
    writeFileSync(path, JSON.stringify({ "a/b": { k: "2" } }));
    expect((await fetch("a/b")).versionId).not.toBe(first.versionId);
    await expect(fetch("missing")).rejects.toBeInstanceOf(SecretNotFoundError);
    await expect(fetch("__proto__")).rejects.toBeInstanceOf(SecretNotFoundError);
  });
});

describe("AWS Secrets Manager adapter", () => {
  const client = new SecretsManagerClient({
    region: "eu-west-1",
    credentials: { accessKeyId: "x", secretAccessKey: "y" },
  });
  const sm = mockClient(client);

  it("reads AWSCURRENT and returns the version id", async () => {
    sm.reset();
    sm.on(GetSecretValueCommand, { SecretId: "broker/prod/acme", VersionStage: "AWSCURRENT" }).resolves({
      SecretString: '{"apiKey":"k"}',
      VersionId: "ver-1",
    });
    expect(await awsSecretsManager(client)("broker/prod/acme")).toEqual({
      versionId: "ver-1",
      secretString: '{"apiKey":"k"}',
    });
  });

  it.each([
    ["ResourceNotFoundException", SecretNotFoundError, 500],
    ["AccessDeniedException", SecretNotFoundError, 500],
    ["DecryptionFailure", SecretInvalidError, 500],
    ["ThrottlingException", UpstreamUnavailableError, 503],
  ])("maps %s to a %s", async (name, type, status) => {
    sm.reset();
    sm.on(GetSecretValueCommand).rejects(Object.assign(new Error("aws says no"), { name }));
    const error = await awsSecretsManager(client)("s").catch((e) => e);
    expect(error).toBeInstanceOf(type);
    expect(error.status).toBe(status);
  });

  it("rejects binary secrets", async () => {
    sm.reset();
    sm.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1]), VersionId: "v" });
    await expect(awsSecretsManager(client)("s")).rejects.toThrow(/no SecretString/);
  });
});

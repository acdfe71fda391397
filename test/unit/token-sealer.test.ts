import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import { kmsDataKeys } from "../../lib/cache/kms-data-keys.ts";
import {
  type DataKeySource,
  localDataKeys,
  SealedValueError,
  TokenSealer,
} from "../../lib/cache/token-sealer.ts";
import { readSettings } from "../../lib/runtime/settings.ts";

/** The sealing key the settings choose for a shared-table cache. */
const sealingKeyFromEnv = (env: NodeJS.ProcessEnv) => {
  const { cache } = readSettings({ BROKER_CACHE: "dynamodb:tokens", ...env });
  return cache.kind === "dynamodb" ? cache.sealingKey : undefined;
};
import { ConfigError } from "../../lib/errors.ts";

/** A local key source that counts how often a data key is generated or unwrapped. */
function counted(): DataKeySource & { generated: number; unwrapped: number } {
  const inner = localDataKeys(new Uint8Array(32).fill(1));
  const source = {
    generated: 0,
    unwrapped: 0,
    generate: () => {
      source.generated++;
      return inner.generate();
    },
    unwrap: (wrapped: Uint8Array) => {
      source.unwrapped++;
      return inner.unwrap(wrapped);
    },
  };
  return source;
}

describe("TokenSealer (envelope encryption of cached tokens)", () => {
  it("seals and opens; the sealed form reveals nothing of the token", async () => {
    const sealer = new TokenSealer(counted());
    const { wrapped, seal } = await sealer.sealer();
    const sealed = seal("at-secret-token-value", "ledger#abc\u0000accessToken");
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain("secret");
    expect(seal("at-secret-token-value", "ledger#abc\u0000accessToken")).not.toBe(sealed); // fresh IV
    const { open } = await sealer.opener(wrapped);
    expect(open(sealed, "ledger#abc\u0000accessToken")).toBe("at-secret-token-value");
  });

  it("a value copied to another item or field, or tampered with, does not open", async () => {
    const sealer = new TokenSealer(counted());
    const { wrapped, seal } = await sealer.sealer();
    const sealed = seal("at-1", "a#1\u0000accessToken");
    const { open } = await sealer.opener(wrapped);
    expect(() => open(sealed, "b#1\u0000accessToken")).toThrow(SealedValueError);
    expect(() => open(sealed, "a#1\u0000refreshToken")).toThrow(SealedValueError);
    const flipped = `${sealed.slice(0, -2)}${sealed.endsWith("A") ? "B" : "A"}${sealed.slice(-1)}`;
    expect(() => open(flipped, "a#1\u0000accessToken")).toThrow(SealedValueError);
    expect(() => open("at-1", "a#1\u0000accessToken")).toThrow(SealedValueError);
  });

  it("one data key per rotation period; foreign keys unwrapped once and cached", async () => {
    const clock = { t: 0 };
    const source = counted();
    const sealer = new TokenSealer(source, { maxKeyAgeMs: 3_600_000, now: () => clock.t });
    const first = await sealer.sealer();
    for (let i = 0; i < 50; i++) await sealer.sealer();
    expect(source.generated).toBe(1);
    clock.t = 3_600_000;
    const second = await sealer.sealer();
    expect(source.generated).toBe(2);
    expect(second.wrapped).not.toBe(first.wrapped);
    // Another container's key: one unwrap, then cached. Our own keys never need one.
    const other = await new TokenSealer(counted()).sealer();
    for (let i = 0; i < 20; i++) await sealer.opener(other.wrapped);
    await sealer.opener(first.wrapped);
    expect(source.unwrapped).toBe(1);
  });

  it("KMS: GenerateDataKey and Decrypt under the key, bound to purpose and table", async () => {
    const kms = mockClient(KMSClient);
    const plaintext = new Uint8Array(32).fill(9);
    kms
      .on(GenerateDataKeyCommand)
      .resolves({ Plaintext: plaintext, CiphertextBlob: new Uint8Array([1, 2, 3]) });
    kms.on(DecryptCommand).resolves({ Plaintext: plaintext });
    const source = kmsDataKeys("arn:aws:kms:eu-west-1:123456789012:key/k", "tokens-prod", new KMSClient({}));
    expect(await source.generate()).toEqual({ plaintext, wrapped: new Uint8Array([1, 2, 3]) });
    expect(await source.unwrap(new Uint8Array([1, 2, 3]))).toEqual(plaintext);
    const context = { purpose: "token-broker-cache", table: "tokens-prod" };
    expect(kms.commandCalls(GenerateDataKeyCommand)[0]?.args[0].input).toEqual({
      KeyId: "arn:aws:kms:eu-west-1:123456789012:key/k",
      KeySpec: "AES_256",
      EncryptionContext: context,
    });
    expect(kms.commandCalls(DecryptCommand)[0]?.args[0].input).toMatchObject({ EncryptionContext: context });
    kms.restore();
  });

  it("BROKER_SEALING_KEY: kms required in Lambda; a bad local key is refused", () => {
    expect(() => sealingKeyFromEnv({ AWS_LAMBDA_FUNCTION_NAME: "token" })).toThrow(ConfigError);
    expect(() => sealingKeyFromEnv({ BROKER_SEALING_KEY: "local:c2hvcnQ=" })).toThrow(/32 bytes/);
    expect(() => sealingKeyFromEnv({ BROKER_SEALING_KEY: "kms:" })).toThrow(/expected "kms:<key id>"/);
    expect(
      sealingKeyFromEnv({ AWS_LAMBDA_FUNCTION_NAME: "token", BROKER_SEALING_KEY: "kms:alias/x" }),
    ).toEqual({
      kms: "alias/x",
    });
    const local = Buffer.alloc(32, 3);
    expect(sealingKeyFromEnv({ BROKER_SEALING_KEY: `local:${local.toString("base64")}` })).toEqual({ local });
    expect((sealingKeyFromEnv({}) as { local: Uint8Array }).local).toHaveLength(32);
  });
});

import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import type { DataKeySource } from "./token-sealer.ts";
import { boundedAwsClient } from "../runtime/aws-call-limits.ts";

/**
 * Data keys from AWS KMS under the stage's key. The encryption context binds every data key to
 * this purpose and table; the function's IAM policy allows the key only with that context.
 */
export function kmsDataKeys(
  keyId: string,
  tableName: string,
  client = new KMSClient({ ...boundedAwsClient(), maxAttempts: 3 }),
): DataKeySource {
  const context = { purpose: KMS_CONTEXT_PURPOSE, table: tableName };
  return {
    async generate() {
      const out = await client.send(
        new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: "AES_256", EncryptionContext: context }),
      );
      if (!out.Plaintext || !out.CiphertextBlob) throw new Error("KMS GenerateDataKey returned no key");
      return { plaintext: out.Plaintext, wrapped: out.CiphertextBlob };
    },
    async unwrap(wrapped) {
      const out = await client.send(
        new DecryptCommand({ KeyId: keyId, CiphertextBlob: wrapped, EncryptionContext: context }),
      );
      if (!out.Plaintext) throw new Error("KMS Decrypt returned no key");
      return out.Plaintext;
    },
  };
}

export const KMS_CONTEXT_PURPOSE = "token-broker-cache";

import {
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { boundedAwsClient } from "../runtime/aws-call-limits.ts";
import { SecretInvalidError, SecretNotFoundError, UpstreamUnavailableError } from "../errors.ts";
import type { RawSecretFetcher } from "./secret-source.ts";

const NOT_FOUND = new Set(["ResourceNotFoundException", "AccessDeniedException"]);

/**
 * AWS Secrets Manager backend: reads the AWSCURRENT version. Pass a client to share one (tests pass
 * one mocked with aws-sdk-client-mock); otherwise one is created on first use, not at import.
 */
export function awsSecretsManager(client?: SecretsManagerClient): RawSecretFetcher {
  let sm = client;
  return async (id) => {
    sm ??= new SecretsManagerClient(boundedAwsClient());
    let out: GetSecretValueCommandOutput;
    try {
      out = await sm.send(new GetSecretValueCommand({ SecretId: id, VersionStage: "AWSCURRENT" }));
    } catch (error) {
      const name = (error as { name?: string }).name ?? "";
      if (NOT_FOUND.has(name)) throw new SecretNotFoundError(id, { cause: error });
      if (name === "DecryptionFailure") {
        throw new SecretInvalidError(`Secret "${id}" cannot be decrypted by the broker (KMS).`, {
          cause: error,
        });
      }
      throw new UpstreamUnavailableError(
        `Secrets Manager failed reading "${id}" (${name || "network error"}).`,
        {
          cause: error,
        },
      );
    }
    if (out.SecretString === undefined) {
      throw new SecretInvalidError(`Secret "${id}" has no SecretString; store a JSON object, not binary.`);
    }
    return { versionId: out.VersionId ?? "unknown", secretString: out.SecretString };
  };
}

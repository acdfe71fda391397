import { Broker } from "../broker.ts";
import { type BrokerConfig, loadConfigFile, parseConfig } from "../config/broker-config.ts";
import { ConfigError } from "../errors.ts";
import { awsSecretsManager } from "../secrets/aws-secrets-manager.ts";
import { CachedSecretSource } from "../secrets/cached-secret-source.ts";
import { localFileSecrets } from "../secrets/local-file-secrets.ts";
import type { SecretSource } from "../secrets/secret-source.ts";

/**
 * Process settings, from the environment (the same in Lambda and locally):
 * - BROKER_CONFIG (inline JSON) or BROKER_CONFIG_FILE (path; default broker.config.json)
 * - BROKER_SECRETS: "aws" (default) or "file:<path>" (a local JSON secrets file)
 * - BROKER_SECRETS_MAX_AGE_SECONDS: how long a secret is reused per process (default 300)
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): BrokerConfig {
  if (env.BROKER_CONFIG) {
    let json: unknown;
    try {
      json = JSON.parse(env.BROKER_CONFIG);
    } catch (error) {
      throw new ConfigError("BROKER_CONFIG", [
        { path: "", message: `not valid JSON: ${(error as Error).message}` },
      ]);
    }
    return parseConfig(json, "BROKER_CONFIG");
  }
  return loadConfigFile(env.BROKER_CONFIG_FILE ?? "broker.config.json");
}

export function secretsFromEnv(env: NodeJS.ProcessEnv = process.env): SecretSource {
  const setting = env.BROKER_SECRETS ?? "aws";
  const maxAgeSeconds = Number(env.BROKER_SECRETS_MAX_AGE_SECONDS ?? 300);
  if (!Number.isFinite(maxAgeSeconds) || maxAgeSeconds < 0) {
    throw new ConfigError("BROKER_SECRETS_MAX_AGE_SECONDS", [
      { path: "", message: "must be a number of seconds >= 0" },
    ]);
  }
  const maxAgeMs = maxAgeSeconds * 1000;
  if (setting === "aws") return new CachedSecretSource(awsSecretsManager(), { maxAgeMs });
  if (setting.startsWith("file:") && setting.length > 5) {
    return new CachedSecretSource(localFileSecrets(setting.slice(5)), { maxAgeMs });
  }
  throw new ConfigError("BROKER_SECRETS", [{ path: "", message: 'expected "aws" or "file:<path>"' }]);
}

let shared: Broker | undefined;

/** The process-wide broker, built on first use from the environment. */
export function brokerFromEnv(): Broker {
  shared ??= new Broker({ config: configFromEnv(), secrets: secretsFromEnv() });
  return shared;
}

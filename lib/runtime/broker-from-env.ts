import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Broker } from "../broker.ts";
import { MemoryTokenCache } from "../cache/memory-token-cache.ts";
import type { CacheKeySetting, sharedTokenCache } from "../cache/shared-token-cache.ts";
import type { TokenCache } from "../cache/token-cache.ts";
import type { HealthStore } from "../health/connection-health.ts";
import type { BrokerConfig } from "../config/broker-config.ts";
import { parseResolvedConfig } from "../config/resolved-config.ts";
import { ConfigError } from "../errors.ts";
import { awsSecretsManager } from "../secrets/aws-secrets-manager.ts";
import { CachedSecretSource } from "../secrets/cached-secret-source.ts";
import { localFileSecrets } from "../secrets/local-file-secrets.ts";
import type { SecretSource } from "../secrets/secret-source.ts";

/**
 * Process settings, from the environment (the same in Lambda and locally):
 * - BROKER_CONFIG_RESOLVED_FILE (set by the stack; relative to the bundle) or BROKER_CONFIG_RESOLVED
 *   (inline): the config validated at synth, or by the local commands (lib/local/config-env.ts)
 * - BROKER_SECRETS: "aws" (default) or "file:<path>" (a local JSON secrets file)
 * - BROKER_SECRETS_MAX_AGE_SECONDS: how long a secret is reused per process (default 300)
 * - BROKER_CACHE: see cacheFromEnv
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): BrokerConfig {
  if (env.BROKER_CONFIG_RESOLVED)
    return parseResolvedConfig(env.BROKER_CONFIG_RESOLVED, "BROKER_CONFIG_RESOLVED");
  if (env.BROKER_CONFIG_RESOLVED_FILE) {
    // In Lambda, relative to the bundle (LAMBDA_TASK_ROOT), where the stack puts it.
    const file = resolve(env.LAMBDA_TASK_ROOT ?? ".", env.BROKER_CONFIG_RESOLVED_FILE);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      throw new ConfigError(file, [
        { path: "", message: `cannot read file (${(error as NodeJS.ErrnoException).code ?? "error"})` },
      ]);
    }
    return parseResolvedConfig(text, file);
  }
  throw new ConfigError("environment", [
    {
      path: "BROKER_CONFIG_RESOLVED_FILE",
      message:
        "no validated config: the stack sets it; local commands validate BROKER_CONFIG or BROKER_CONFIG_FILE first",
    },
  ]);
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

/**
 * BROKER_CACHE: "memory" (default: in-process only) or "dynamodb:<table>" (in-process in front of
 * the shared DynamoDB table; locally, point AWS_ENDPOINT_URL_DYNAMODB at DynamoDB Local).
 * BROKER_LEASE_SECONDS: how long a refresh lease protects a refresh (default 25).
 */
export function cacheFromEnv(env: NodeJS.ProcessEnv = process.env): {
  cache: TokenCache;
  health?: HealthStore;
} {
  const setting = env.BROKER_CACHE ?? "memory";
  if (setting === "memory") return { cache: new MemoryTokenCache() };
  if (setting.startsWith("dynamodb:") && setting.length > 9) {
    const table = setting.slice(9);
    const cacheKey = cacheKeyFromEnv(env);
    const leaseSeconds = Number(env.BROKER_LEASE_SECONDS ?? 25);
    if (!Number.isInteger(leaseSeconds) || leaseSeconds < 1 || leaseSeconds > 900) {
      throw new ConfigError("BROKER_LEASE_SECONDS", [{ path: "", message: "must be whole seconds, 1-900" }]);
    }
    // A chunk of its own (DynamoDB and KMS clients included), read by the first exchanged
    // connection's request: a process that only mints credentials never loads it.
    let loaded: Promise<ReturnType<typeof sharedTokenCache>> | undefined;
    const shared = () =>
      (loaded ??= import("../cache/shared-token-cache.ts").then((m) =>
        m.sharedTokenCache({ table, cacheKey, leaseMs: leaseSeconds * 1000 }),
      ));
    return {
      cache: new MemoryTokenCache({ next: async (...args) => (await shared()).load(...args) }),
      // Connection health lives in the same items, shared by every instance.
      health: {
        readHealth: async (key) => (await shared()).store.readHealth(key),
        recordFailure: async (key, failure) => (await shared()).store.recordFailure(key, failure),
        recordSuccess: async (key, at) => (await shared()).store.recordSuccess(key, at),
        claimForcedRefresh: async (key, at, intervalMs) =>
          (await shared()).store.claimForcedRefresh(key, at, intervalMs),
      },
    };
  }
  throw new ConfigError("BROKER_CACHE", [{ path: "", message: 'expected "memory" or "dynamodb:<table>"' }]);
}

/**
 * BROKER_CACHE_KEY: what seals the token fields of the shared table.
 * - "kms:<key id or ARN>": data keys from AWS KMS (the stack sets the table's key); required in Lambda.
 * - "local:<base64 of 32 bytes>": a local key (DynamoDB Local runs that want their own).
 * - absent, outside Lambda: a fixed development key, so local processes sharing a table agree.
 */
export function cacheKeyFromEnv(env: NodeJS.ProcessEnv = process.env): CacheKeySetting {
  const setting = env.BROKER_CACHE_KEY;
  if (setting?.startsWith("kms:") && setting.length > 4) return { kms: setting.slice(4) };
  if (env.AWS_LAMBDA_FUNCTION_NAME) {
    throw new ConfigError("BROKER_CACHE_KEY", [{ path: "", message: 'required in Lambda: "kms:<key ARN>"' }]);
  }
  if (setting === undefined) return { local: developmentCacheKey() };
  const key = setting.startsWith("local:") ? Buffer.from(setting.slice(6), "base64") : Buffer.alloc(0);
  if (key.length !== 32) {
    throw new ConfigError("BROKER_CACHE_KEY", [
      { path: "", message: 'expected "kms:<key id>" or "local:<base64 of 32 bytes>"' },
    ]);
  }
  return { local: key };
}

/** Local runs only (refused in Lambda): public, so it protects nothing but the code path. */
function developmentCacheKey(): Uint8Array {
  return createHash("sha256").update("token-broker local development cache key").digest();
}

let shared: Broker | undefined;

/** The process-wide broker, built on first use from the environment. */
export function brokerFromEnv(): Broker {
  shared ??= new Broker({ config: configFromEnv(), secrets: secretsFromEnv(), ...cacheFromEnv() });
  return shared;
}

/** BROKER_CORS_ORIGINS: comma-separated exact origins allowed to call the broker from a browser. */
export function corsOriginsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.BROKER_CORS_ORIGINS ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
}

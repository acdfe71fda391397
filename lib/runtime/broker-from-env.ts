import { readFileSync } from "node:fs";
import { Broker } from "../broker.ts";
import { MemoryTokenCache } from "../cache/memory-token-cache.ts";
import type { sharedTokenCache } from "../cache/shared-token-cache.ts";
import type { TokenCache } from "../cache/token-cache.ts";
import type { BrokerConfig } from "../config/broker-config.ts";
import { parseResolvedConfig } from "../config/resolved-config.ts";
import { ConfigError } from "../errors.ts";
import type { HealthStore } from "../health/connection-health.ts";
import { awsSecretsManager } from "../secrets/aws-secrets-manager.ts";
import { CachedSecretSource } from "../secrets/cached-secret-source.ts";
import { localFileSecrets } from "../secrets/local-file-secrets.ts";
import type { SecretSource } from "../secrets/secret-source.ts";
import { type Settings, settingsFromEnv } from "./settings.ts";
import { publisherFor } from "../events/lifecycle-events.ts";

/** The validated config the settings name: inline, or the file synth bundled. */
export function configFrom(settings: Pick<Settings, "config">): BrokerConfig {
  const { config } = settings;
  if (config === undefined) {
    throw new ConfigError("environment", [
      {
        path: "BROKER_CONFIG_RESOLVED_FILE",
        message:
          "no validated config: the stack sets it; local commands validate BROKER_CONFIG or BROKER_CONFIG_FILE first",
      },
    ]);
  }
  if ("text" in config) return parseResolvedConfig(config.text, config.source);
  let text: string;
  try {
    text = readFileSync(config.file, "utf8");
  } catch (error) {
    throw new ConfigError(config.file, [
      { path: "", message: `cannot read file (${(error as NodeJS.ErrnoException).code ?? "error"})` },
    ]);
  }
  return parseResolvedConfig(text, config.file);
}

export function secretsFrom(settings: Pick<Settings, "secrets" | "secretsMaxAgeMs">): SecretSource {
  const maxAgeMs = settings.secretsMaxAgeMs;
  const source =
    settings.secrets.kind === "aws" ? awsSecretsManager() : localFileSecrets(settings.secrets.path);
  return new CachedSecretSource(source, { maxAgeMs });
}

/**
 * The token cache: in-process only, or in-process in front of the shared DynamoDB table (locally,
 * AWS_ENDPOINT_URL_DYNAMODB points at DynamoDB Local).
 */
export function cacheFrom(settings: Pick<Settings, "cache">): { cache: TokenCache; health?: HealthStore } {
  const setting = settings.cache;
  if (setting.kind === "memory") return { cache: new MemoryTokenCache() };
  const { table, sealingKey, leaseMs } = setting;
  // A chunk of its own (DynamoDB and KMS clients included), read by the first exchanged
  // connection's request: a process that only mints credentials never loads it.
  let loaded: Promise<ReturnType<typeof sharedTokenCache>> | undefined;
  const shared = () =>
    (loaded ??= import("./deferred.ts").then((m) => m.sharedTokenCache({ table, sealingKey, leaseMs })));
  return {
    cache: new MemoryTokenCache({ next: async (...args) => (await shared()).load(...args) }),
    // Connection health lives in the same items, shared by every instance.
    health: {
      readHealth: async (k) => (await shared()).health.readHealth(k),
      recordFailure: async (k, failure) => (await shared()).health.recordFailure(k, failure),
      recordSuccess: async (k, at) => (await shared()).health.recordSuccess(k, at),
      claimForcedRefresh: async (k, at, intervalMs) =>
        (await shared()).health.claimForcedRefresh(k, at, intervalMs),
      claimTransition: async (k, topic, state, options) =>
        (await shared()).health.claimTransition(k, topic, state, options),
    },
  };
}

/** A broker built from settings. */
export function brokerFrom(settings: Settings): Broker {
  const events = publisherFor(settings.events.publish);
  return new Broker({
    config: configFrom(settings),
    secrets: secretsFrom(settings),
    ...cacheFrom(settings),
    ...(events ? { events } : {}),
    expiryWarningMs: settings.events.expiryWarningMs,
  });
}

let shared: Broker | undefined;

/** The process-wide broker, built on first use from the environment's settings. */
export function brokerFromEnv(): Broker {
  shared ??= brokerFrom(settingsFromEnv());
  return shared;
}

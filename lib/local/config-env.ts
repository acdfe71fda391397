import { type BrokerConfig, loadConfigFile, parseConfig } from "../config/broker-config.ts";
import { serializeResolvedConfig } from "../config/resolved-config.ts";
import { ConfigError } from "../errors.ts";

/**
 * Local commands (npm start, the CLI, prewarm): validate BROKER_CONFIG (inline JSON) or
 * BROKER_CONFIG_FILE (default broker.config.json) with every bad field's path, then hand the
 * resolved form to the broker as BROKER_CONFIG_RESOLVED, as synth does for the deployed functions.
 */
export function resolveConfigEnv(env: NodeJS.ProcessEnv = process.env): BrokerConfig | undefined {
  if (env.BROKER_CONFIG_RESOLVED || env.BROKER_CONFIG_RESOLVED_FILE) return undefined;
  let config: BrokerConfig;
  if (env.BROKER_CONFIG) {
    let json: unknown;
    try {
      json = JSON.parse(env.BROKER_CONFIG);
    } catch (error) {
      throw new ConfigError("BROKER_CONFIG", [
        { path: "", message: `not valid JSON: ${(error as Error).message}` },
      ]);
    }
    config = parseConfig(json, "BROKER_CONFIG");
  } else {
    config = loadConfigFile(env.BROKER_CONFIG_FILE ?? "broker.config.json");
  }
  env.BROKER_CONFIG_RESOLVED = serializeResolvedConfig(config);
  return config;
}

/** For tests and tools: the resolved form of a connections file. */
export function resolvedConfigOf(file: string): string {
  return serializeResolvedConfig(loadConfigFile(file));
}

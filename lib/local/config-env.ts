import { type BrokerConfig, loadConfigFile, parseConfig } from "../config/broker-config.ts";
import { serializeResolvedConfig } from "../config/resolved-config.ts";
import { ConfigError } from "../errors.ts";
import { readSettings, type Settings } from "../runtime/settings.ts";

/** What the local commands assume when the environment does not say: the example config and secrets. */
export const LOCAL_DEFAULTS: Readonly<Record<string, string>> = {
  BROKER_CONFIG_FILE: "examples/broker.config.json",
  BROKER_SECRETS: "file:examples/local-secrets.json",
};

/**
 * The settings of a local command (npm start, the CLI, prewarm): the environment over `defaults`,
 * and the connections file (BROKER_CONFIG inline, else BROKER_CONFIG_FILE) validated now with every
 * bad field's path and handed over in its resolved form, as synth does for the deployed functions.
 */
export function localSettings(
  env: NodeJS.ProcessEnv,
  defaults: Readonly<Record<string, string>> = LOCAL_DEFAULTS,
): Settings {
  const merged = { ...defaults, ...env };
  const settings = readSettings(merged);
  if (settings.config) return settings;
  let config: BrokerConfig;
  if (merged.BROKER_CONFIG) {
    let json: unknown;
    try {
      json = JSON.parse(merged.BROKER_CONFIG);
    } catch (error) {
      throw new ConfigError("BROKER_CONFIG", [
        { path: "", message: `not valid JSON: ${(error as Error).message}` },
      ]);
    }
    config = parseConfig(json, "BROKER_CONFIG");
  } else {
    config = loadConfigFile(merged.BROKER_CONFIG_FILE ?? "broker.config.json");
  }
  return {
    ...settings,
    config: { text: serializeResolvedConfig(config), source: "the validated connections file" },
  };
}

/** For tests and tools: the resolved form of a connections file. */
export function resolvedConfigOf(file: string): string {
  return serializeResolvedConfig(loadConfigFile(file));
}

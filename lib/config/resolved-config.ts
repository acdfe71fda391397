import { ConfigError } from "../errors.ts";
import type { BrokerConfig, ConnectionConfig } from "./broker-config.ts";
import type { UpstreamPolicy } from "./upstream-url.ts";

/**
 * The config as validation left it (presets expanded, defaults applied), serialized at synth and
 * loaded by the deployed functions without a schema library: the checks ran at synth, and the
 * function's cold start does not pay for them again. Local commands validate first, then load
 * the same form (lib/local/config-env.ts), so every process runs this one path.
 */
export const RESOLVED_CONFIG_FORMAT = "token-broker.resolved-config/1";

export function serializeResolvedConfig(
  config: BrokerConfig,
  options: { upstreamPolicy?: UpstreamPolicy } = {},
): string {
  return JSON.stringify({
    format: RESOLVED_CONFIG_FORMAT,
    upstreamPolicy: options.upstreamPolicy ?? config.upstreamPolicy ?? "local",
    connections: [...config.connections.values()],
  });
}

export function parseResolvedConfig(text: string, source: string): BrokerConfig {
  let json: { format?: unknown; connections?: unknown; upstreamPolicy?: unknown };
  try {
    json = JSON.parse(text) as typeof json;
  } catch (error) {
    throw new ConfigError(source, [{ path: "", message: `not valid JSON: ${(error as Error).message}` }]);
  }
  if (json?.format !== RESOLVED_CONFIG_FORMAT || !Array.isArray(json.connections)) {
    throw new ConfigError(source, [
      {
        path: "format",
        message: `not a resolved config (${RESOLVED_CONFIG_FORMAT}): synth writes one; validate a connections file with \`npm run broker -- validate\``,
      },
    ]);
  }
  const connections = json.connections as ConnectionConfig[];
  return {
    connections: new Map(connections.map((c) => [c.name, c])),
    upstreamPolicy: json.upstreamPolicy === "deployed" ? "deployed" : "local",
  };
}

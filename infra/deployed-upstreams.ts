import { deployedUpstreamUrlProblem } from "../lib/config/upstream-url.ts";
import { type BrokerConfig, parseConfig } from "../lib/config/broker-config.ts";
import { readJsonFile } from "../lib/config/json-file.ts";
import { ConfigError } from "../lib/errors.ts";

/**
 * Upstream URLs a deployed stage may not use, found anywhere in the connections file as written
 * (so the path is the one the operator typed). Locally, plain http to loopback is how demos and
 * tests reach their stand-in upstreams; in Lambda, loopback is the runtime API and link-local is
 * the platform's, never an upstream, and plain http would send credentials in clear text.
 */
export function deployedUpstreamIssues(rawConfig: unknown): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  const walk = (value: unknown, path: string[]) => {
    if (typeof value === "string") {
      const problem = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? deployedUpstreamUrlProblem(value) : undefined;
      if (problem) issues.push({ path: path.join("."), message: problem });
    } else if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, String(i)]));
    else if (value && typeof value === "object")
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(rawConfig, []);
  return issues;
}

/**
 * A deployed stage's connections file, validated in one pass: the schema's issues and the deployed
 * URL policy's together, every bad field with its path.
 */
export function loadDeployableConfig(path: string, source: string): BrokerConfig {
  return deployableConfig(readJsonFile(path), source);
}

/** The same for a connections object (a file's content). */
export function deployableConfig(json: unknown, source: string): BrokerConfig {
  const issues = deployedUpstreamIssues(json);
  let config: BrokerConfig | undefined;
  try {
    config = parseConfig(json, source);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    issues.unshift(...error.issues);
  }
  if (issues.length > 0 || !config) throw new ConfigError(`${source} (deployed stage)`, issues);
  return config;
}

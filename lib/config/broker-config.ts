import * as z from "zod/mini";
import { readJsonFile } from "./json-file.ts";
import {
  EXPOSURE_RISK,
  type Exposure,
  HEADERS_BY_DEFAULT,
  type SchemeTraits,
  traitsOf,
} from "../schemes/traits.ts";
import type { UpstreamPolicy } from "./upstream-url.ts";
import { en } from "zod/v4/locales";
import { ConfigError } from "../errors.ts";
import { CONNECTION_NAME } from "./connection-name.ts";
import { PRESETS } from "../presets/registry.ts";
import { delivery as deliverySchema, proxySettings } from "../proxy/proxy-rules.schema.ts";
import type { Delivery, ProxySettings } from "../proxy/proxy-rules.ts";
import { SCHEME_SCHEMAS } from "../schemes/schema-registry.ts";

type SchemeConfig = z.output<(typeof SCHEME_SCHEMAS)[number]["schema"]>;

/**
 * A validated connection: its generic scheme config, the preset it came from (if any), and how its
 * credential reaches callers (`delivery`, resolved) with its proxy settings.
 */
export type ConnectionConfig = SchemeConfig & {
  name: string;
  /** The scheme's trait, written here so every reader asks the connection, not the scheme's name. */
  issuance: SchemeTraits["issuance"];
  /** What the credential exposes in a caller's hands; decides the default delivery. */
  exposure: Exposure;
  preset?: string;
  delivery: Delivery;
  proxy?: ProxySettings;
  /** Opt-in: callers may report a rejected token (by id) to get a new one, this often at most. */
  forcedRefresh?: { minIntervalMs: number };
};

export interface BrokerConfig {
  readonly connections: ReadonlyMap<string, ConnectionConfig>;
  /** What upstream URLs found at run time (discovery) may be; "local" when absent. */
  readonly upstreamPolicy?: UpstreamPolicy;
}

export { CONNECTION_NAME } from "./connection-name.ts";

// zod/mini ships no messages by default: load English ones (for "expected string, received ..." and the like).
z.config(en());

// Names are checked with the connections themselves, so a bad name does not hide their errors.
const fileSchema = z.strictObject({
  $schema: z.optional(z.string()),
  connections: z.record(z.string(), z.looseObject({})),
});

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

interface Issue {
  path: string;
  message: string;
}

function issuesOf(error: z.core.$ZodError, prefix: (string | number)[], note = ""): Issue[] {
  return error.issues.map((issue) => ({
    path: formatPath([...prefix, ...(issue.path as (string | number)[])]),
    message: note + issue.message,
  }));
}

function formatPath(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

const schemeByName = new Map<string, (typeof SCHEME_SCHEMAS)[number]>(SCHEME_SCHEMAS.map((s) => [s.name, s]));
const presetByName = new Map<string, (typeof PRESETS)[number]>(PRESETS.map((p) => [p.name, p]));

/**
 * How the credential reaches callers. Explicit `delivery` wins; otherwise the safest the config
 * allows: through the proxy when one is configured, else as headers only for a per-request
 * credential: anything a caller could copy and replay is never handed out by default.
 */
function parseDelivery(
  at: (string | number)[],
  raw: Record<string, unknown>,
  exposure: Exposure,
  issues: Issue[],
): { delivery: Delivery; proxy?: ProxySettings } | undefined {
  let proxy: ProxySettings | undefined;
  if (raw.proxy !== undefined) {
    const parsed = proxySettings.safeParse(raw.proxy);
    if (!parsed.success) {
      issues.push(...issuesOf(parsed.error, [...at, "proxy"]));
      return undefined;
    }
    proxy = parsed.data;
  }
  let explicit: Delivery | undefined;
  if (raw.delivery !== undefined) {
    const parsed = deliverySchema.safeParse(raw.delivery);
    if (!parsed.success) {
      issues.push(...issuesOf(parsed.error, [...at, "delivery"]));
      return undefined;
    }
    explicit = parsed.data;
  }
  const resolved = explicit ?? (proxy ? "proxy" : HEADERS_BY_DEFAULT.has(exposure) ? "headers" : undefined);
  if (!resolved) {
    issues.push({
      path: formatPath([...at, "delivery"]),
      message: `this connection's credential is ${exposure} (${EXPOSURE_RISK[exposure]}), so it is delivered through the proxy only by default: configure "proxy", or set "delivery": "headers" to hand it to callers anyway`,
    });
    return undefined;
  }
  if (resolved !== "headers" && !proxy) {
    issues.push({ path: formatPath([...at, "proxy"]), message: `required with delivery "${resolved}"` });
    return undefined;
  }
  return { delivery: resolved, ...(proxy ? { proxy } : {}) };
}

const forcedRefreshSchema = z.union([
  z.boolean(),
  z.strictObject({ minIntervalSeconds: z.int().check(z.gte(1), z.lte(3600)) }),
]);

/** `forcedRefresh`: true (10 s), or `{minIntervalSeconds}`; exchanged schemes only. null: invalid. */
function parseForcedRefresh(
  at: (string | number)[],
  raw: unknown,
  scheme: string,
  issues: Issue[],
): { minIntervalMs: number } | undefined | null {
  if (raw === undefined || raw === false) return undefined;
  const parsed = forcedRefreshSchema.safeParse(raw);
  if (!parsed.success) {
    issues.push(...issuesOf(parsed.error, [...at, "forcedRefresh"]));
    return null;
  }
  if (traitsOf(scheme).issuance === "minted") {
    issues.push({
      path: formatPath([...at, "forcedRefresh"]),
      message: "only exchanged tokens can be force-refreshed (minted credentials are fresh every time)",
    });
    return null;
  }
  return {
    minIntervalMs:
      (parsed.data === true ? 10 : (parsed.data as { minIntervalSeconds: number }).minIntervalSeconds) * 1000,
  };
}

function parseConnection(
  name: string,
  connection: Record<string, unknown>,
  issues: Issue[],
): ConnectionConfig | undefined {
  const at = ["connections", name];
  // Delivery, proxy and forced refresh are the broker's, not the scheme's: validated apart.
  const { delivery: _delivery, proxy: _proxy, forcedRefresh: _forced, ...raw } = connection;
  let input: Record<string, unknown> = raw;
  let presetName: string | undefined;
  if ("preset" in raw) {
    if ("scheme" in raw) {
      issues.push({ path: formatPath(at), message: "set either preset or scheme, not both" });
      return undefined;
    }
    const preset = presetByName.get(String(raw.preset));
    if (!preset) {
      issues.push({
        path: formatPath([...at, "preset"]),
        message: `unknown preset; known: ${[...presetByName.keys()].join(", ")}`,
      });
      return undefined;
    }
    const options = preset.schema.safeParse(raw);
    if (!options.success) {
      issues.push(...issuesOf(options.error, at));
      return undefined;
    }
    presetName = preset.name;
    input = (preset.expand as (o: unknown) => Record<string, unknown>)(options.data);
  }
  const scheme = schemeByName.get(String(input.scheme));
  if (!scheme) {
    issues.push({
      path: formatPath([...at, "scheme"]),
      message: `expected "preset" or "scheme"; schemes: ${[...schemeByName.keys()].join(", ")}; presets: ${[...presetByName.keys()].join(", ")}`,
    });
    return undefined;
  }
  const parsed = scheme.schema.safeParse(input);
  if (!parsed.success) {
    issues.push(...issuesOf(parsed.error, at, presetName ? `(from preset ${presetName}) ` : ""));
    return undefined;
  }
  const exposure = traitsOf(scheme.name).exposure(parsed.data as Parameters<SchemeTraits["exposure"]>[0]);
  const delivered = parseDelivery(at, connection, exposure, issues);
  if (!delivered) return undefined;
  const forcedRefresh = parseForcedRefresh(at, connection.forcedRefresh, scheme.name, issues);
  if (forcedRefresh === null) return undefined;
  return {
    ...parsed.data,
    name,
    issuance: traitsOf(scheme.name).issuance,
    exposure,
    ...(presetName ? { preset: presetName } : {}),
    ...delivered,
    ...(forcedRefresh ? { forcedRefresh } : {}),
  };
}

/** Validates a config object. Throws ConfigError listing every bad field with its path. */
export function parseConfig(input: unknown, source = "config"): BrokerConfig {
  // One pass: the file's shape, every connection's name and every connection's fields.
  const file = fileSchema.safeParse(input);
  const issues: Issue[] = file.success ? [] : issuesOf(file.error, []);
  const connections = new Map<string, ConnectionConfig>();
  const raw = isObject(input) && isObject(input.connections) ? input.connections : {};
  for (const [name, value] of Object.entries(raw)) {
    if (!CONNECTION_NAME.test(name)) {
      issues.push({
        path: formatPath(["connections", name]),
        message: "connection names are 1-64 chars of a-z, 0-9 and inner dashes",
      });
    }
    if (!isObject(value)) continue; // reported by the file's shape
    const connection = parseConnection(name, value, issues);
    if (connection) connections.set(name, connection);
  }
  if (issues.length > 0) throw new ConfigError(source, issues);
  return { connections };
}

/** Reads and validates a JSON config file (synchronously: it runs once, at init or synth). */
export function loadConfigFile(path: string): BrokerConfig {
  return parseConfig(readJsonFile(path), path);
}

import { createHash } from "node:crypto";
import { resolve } from "node:path";
import type { SealingKeySetting } from "../cache/shared-token-cache.ts";
import type { AuditSetting } from "../audit/audit-trail.ts";
import type { EventsSetting } from "../events/lifecycle-events.ts";
import { ConfigError } from "../errors.ts";

/**
 * The process's settings, read from the environment once and validated in one pass: every bad
 * variable is reported with the rule it breaks (ConfigError "environment"). The same in Lambda
 * (the stack sets them) and locally (the local commands add their defaults before reading).
 * Powertools reads its own variables (POWERTOOLS_*, LOG_LEVEL); docs/environment.md lists all.
 */
export interface Settings {
  /** Where the validated config comes from; undefined when none is set (the broker then refuses to start). */
  config: { text: string; source: string } | { file: string } | undefined;
  secrets: { kind: "aws" } | { kind: "file"; path: string };
  /** How long a secret is reused per process. */
  secretsMaxAgeMs: number;
  cache:
    { kind: "memory" } | { kind: "dynamodb"; table: string; leaseMs: number; sealingKey: SealingKeySetting };
  /** Exact browser origins allowed to call the broker. */
  corsOrigins: string[];
  /** Local opt-in only (`npm start` with BROKER_LOCAL_AUTH=none): requests without a caller pass. */
  allowAnonymous: boolean;
  prewarm: { windowMs: number; concurrency: number };
  /** Where audit records go: stdout (Lambda; the stage's subscription delivers them) or a file. */
  audit: AuditSetting;
  /** Where lifecycle events go, and how close a known expiry is an event. */
  events: { publish: EventsSetting; expiryWarningMs: number };
}

type Issue = { path: string; message: string };

/** The `<rest>` of a `<prefix><rest>` setting (a non-empty rest), else undefined. */
function afterPrefix(value: string, prefix: string): string | undefined {
  return value.startsWith(prefix) && value.length > prefix.length ? value.slice(prefix.length) : undefined;
}

/** Reads and validates the settings; throws one ConfigError listing every bad variable. */
export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const issues: Issue[] = [];
  const bad = (path: string, message: string) => void issues.push({ path, message });
  const number = (name: string, fallback: number, min: number, max: number, integer = true) => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      bad(name, `must be ${integer ? "a whole number" : "a number"} from ${min} to ${max}`);
      return fallback;
    }
    return value;
  };

  let config: Settings["config"];
  if (env.BROKER_CONFIG_RESOLVED)
    config = { text: env.BROKER_CONFIG_RESOLVED, source: "BROKER_CONFIG_RESOLVED" };
  else if (env.BROKER_CONFIG_RESOLVED_FILE) {
    // In Lambda, relative to the bundle (LAMBDA_TASK_ROOT), where the stack puts it.
    config = { file: resolve(env.LAMBDA_TASK_ROOT ?? ".", env.BROKER_CONFIG_RESOLVED_FILE) };
  }

  const secretsSetting = env.BROKER_SECRETS ?? "aws";
  let secrets: Settings["secrets"] = { kind: "aws" };
  const secretsFile = afterPrefix(secretsSetting, "file:");
  if (secretsFile) secrets = { kind: "file", path: secretsFile };
  else if (secretsSetting !== "aws") bad("BROKER_SECRETS", 'expected "aws" or "file:<path>"');
  const secretsMaxAgeMs = number("BROKER_SECRETS_MAX_AGE_SECONDS", 300, 0, 86_400, false) * 1000;

  const cacheSetting = env.BROKER_CACHE ?? "memory";
  const leaseMs = number("BROKER_LEASE_SECONDS", 25, 1, 900) * 1000;
  let cache: Settings["cache"] = { kind: "memory" };
  const table = afterPrefix(cacheSetting, "dynamodb:");
  if (table) {
    const key = sealingKey(env, bad);
    if (key) cache = { kind: "dynamodb", table, leaseMs, sealingKey: key };
  } else if (cacheSetting !== "memory") bad("BROKER_CACHE", 'expected "memory" or "dynamodb:<table>"');

  const corsOrigins = (env.BROKER_CORS_ORIGINS ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of corsOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin))
      bad("BROKER_CORS_ORIGINS", `"${origin}" is not an exact origin (scheme://host[:port])`);
  }

  const auditSetting = env.BROKER_AUDIT ?? "stdout";
  let audit: AuditSetting = { kind: "stdout" };
  const auditFile = afterPrefix(auditSetting, "file:");
  if (auditFile) audit = { kind: "file", path: auditFile };
  else if (auditSetting !== "stdout") bad("BROKER_AUDIT", 'expected "stdout" or "file:<path>"');

  const eventsSetting = env.BROKER_EVENTS ?? "none";
  let publish: EventsSetting = { kind: "none" };
  const eventsFile = afterPrefix(eventsSetting, "file:");
  const bus = afterPrefix(eventsSetting, "eventbridge:");
  if (eventsFile) publish = { kind: "file", path: eventsFile };
  else if (bus) publish = { kind: "eventbridge", bus };
  else if (eventsSetting !== "none")
    bad("BROKER_EVENTS", 'expected "none", "eventbridge:<bus name or ARN>" or "file:<path>"');
  const expiryWarningMs = number("BROKER_EXPIRY_WARNING_DAYS", 30, 1, 365) * 86_400_000;

  const settings: Settings = {
    config,
    secrets,
    secretsMaxAgeMs,
    cache,
    corsOrigins,
    audit,
    events: { publish, expiryWarningMs },
    allowAnonymous: env.BROKER_ALLOW_ANONYMOUS === "true",
    prewarm: {
      windowMs: number("BROKER_PREWARM_WINDOW_SECONDS", 600, 1, 86_400) * 1000,
      concurrency: number("BROKER_PREWARM_CONCURRENCY", 4, 1, 64),
    },
  };
  if (issues.length > 0) throw new ConfigError("environment", issues);
  return settings;
}

/**
 * BROKER_SEALING_KEY: what seals the token fields of the shared table.
 * - "kms:<key id or ARN>": data keys from AWS KMS (the stack sets the table's key); required in Lambda.
 * - "local:<base64 of 32 bytes>": a local key (DynamoDB Local runs that want their own).
 * - absent, outside Lambda: a fixed development key, so local processes sharing a table agree.
 */
function sealingKey(
  env: NodeJS.ProcessEnv,
  bad: (path: string, message: string) => void,
): SealingKeySetting | undefined {
  const setting = env.BROKER_SEALING_KEY;
  if (setting?.startsWith("kms:") && setting.length > 4) return { kms: setting.slice(4) };
  if (env.AWS_LAMBDA_FUNCTION_NAME) {
    bad("BROKER_SEALING_KEY", 'required in Lambda: "kms:<key ARN>"');
    return undefined;
  }
  if (setting === undefined) return { local: developmentSealingKey() };
  const key = setting.startsWith("local:") ? Buffer.from(setting.slice(6), "base64") : Buffer.alloc(0);
  if (key.length !== 32) {
    bad("BROKER_SEALING_KEY", 'expected "kms:<key id>" or "local:<base64 of 32 bytes>"');
    return undefined;
  }
  return { local: key };
}

/** Local runs only (refused in Lambda): public, so it protects nothing but the code path. */
function developmentSealingKey(): Uint8Array {
  return createHash("sha256").update("token-broker local development cache key").digest();
}

let fromEnv: Settings | undefined;

/** The process's settings, read once (entry points and the process-wide broker). */
export function settingsFromEnv(): Settings {
  fromEnv ??= readSettings(process.env);
  return fromEnv;
}

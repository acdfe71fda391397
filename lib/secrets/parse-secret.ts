import { SecretInvalidError } from "../errors.ts";
import { registerSensitive } from "../observability/redact.ts";
import type { RawSecret, Secret } from "./secret-source.ts";

/**
 * Secrets are JSON objects whose values are strings (numbers are accepted and kept as their decimal
 * text). Errors name the secret and the offending field, never a value.
 */
export function parseSecret(id: string, raw: RawSecret): Secret {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.secretString);
  } catch {
    throw new SecretInvalidError(`Secret "${id}" is not JSON; store a JSON object of named string fields.`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new SecretInvalidError(`Secret "${id}" must be a JSON object of named string fields.`);
  }
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value === "string") fields[name] = value;
    else if (typeof value === "number" && Number.isFinite(value)) fields[name] = String(value);
    else throw new SecretInvalidError(`Secret "${id}" field "${name}" must be a string.`);
  }
  for (const value of Object.values(fields)) registerSensitive(value, { lasting: true });
  return { id, versionId: raw.versionId, fields: Object.freeze(fields) };
}

/** Reads one field, failing with a precise, value-free error when it is missing or empty. */
export function secretField(secret: Secret, name: string): string {
  const value = secret.fields[name];
  if (value === undefined || value === "") {
    throw new SecretInvalidError(`Secret "${secret.id}" has no field "${name}".`);
  }
  return value;
}

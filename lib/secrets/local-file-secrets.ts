import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { SecretInvalidError, SecretNotFoundError } from "../errors.ts";
import type { RawSecretFetcher } from "./secret-source.ts";

/**
 * Local runs and tests: one JSON file mapping secret ids to secret objects, e.g.
 * `{"broker/dev/acme": {"apiKey": "...", "jwtKey": "..."}}`. The file is re-read on every fetch
 * (the cache in front bounds how often), so edits act like a rotation: the version is a hash of
 * the entry's content.
 */
export function localFileSecrets(path: string): RawSecretFetcher {
  return async (id) => {
    let all: unknown;
    try {
      all = JSON.parse(await readFile(path, "utf8"));
    } catch (error) {
      throw new SecretInvalidError(`Local secrets file "${path}" cannot be read as JSON.`, { cause: error });
    }
    if (all === null || typeof all !== "object" || !Object.hasOwn(all, id)) throw new SecretNotFoundError(id);
    const entry = (all as Record<string, unknown>)[id];
    const secretString = typeof entry === "string" ? entry : JSON.stringify(entry);
    const versionId = createHash("sha256").update(secretString).digest("base64url").slice(0, 16);
    return { versionId, secretString };
  };
}

import { readFileSync } from "node:fs";
import { ConfigError } from "../errors.ts";

/**
 * A JSON file, read synchronously (config and stages files, once, at init or synth), or a
 * ConfigError naming the file: missing or unreadable (with the error code and `hint`), or not JSON.
 */
export function readJsonFile(path: string, hint?: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw new ConfigError(path, [
      { path: "", message: `cannot read file (${code})${hint ? `; ${hint}` : ""}` },
    ]);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(path, [{ path: "", message: `not valid JSON: ${(error as Error).message}` }]);
  }
}

import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import openapiTS, { astToString } from "openapi-typescript";

const here = dirname(fileURLToPath(import.meta.url));

/** The API contract the client's types are generated from. */
export const CONTRACT = join(here, "..", "docs", "openapi.json");
export const GENERATED_TYPES = join(here, "src", "openapi.ts");

/** The client's types for the contract's schemas and operations (openapi-typescript, dev-only). */
export async function contractTypes(): Promise<string> {
  return astToString(await openapiTS(pathToFileURL(CONTRACT)), {
    fileName: "openapi.ts",
  }).replace(
    /^/,
    "/**\n * Generated from docs/openapi.json by openapi-typescript (npm run build:client). Do not edit.\n */\n\n",
  );
}

/**
 * Builds the browser client to one minified ESM file (client/dist/broker-client.js) and returns
 * its size, minified and gzipped. Types: client/src/broker-client.ts is the source of truth, and
 * `tsc` emits client/dist/broker-client.d.ts with `npm run build:client`.
 */
export async function buildClient(
  outDir = join(here, "dist"),
): Promise<{ file: string; bytes: number; gzipBytes: number }> {
  const result = await build({
    entryPoints: [join(here, "src", "broker-client.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    write: false,
    legalComments: "none",
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, "broker-client.js");
  writeFileSync(file, code);
  return { file, bytes: code.byteLength, gzipBytes: gzipSync(code, { level: 9 }).byteLength };
}

/**
 * The client package's contents (client/dist/): the generated contract types (written to
 * src/openapi.ts too, so the sources type-check against the contract), the minified bundle and
 * declarations checked against the DOM library alone (no Node types), as a browser app sees them.
 */
export async function buildClientPackage(): Promise<{ file: string; bytes: number; gzipBytes: number }> {
  // Rewritten only when the contract changed: tests read this file while a package build runs.
  const types = await contractTypes();
  if (readFileSync(GENERATED_TYPES, "utf8") !== types) writeFileSync(GENERATED_TYPES, types);
  const built = await buildClient();
  execFileSync(
    process.execPath,
    [join(here, "..", "node_modules", "typescript", "bin", "tsc"), "-p", join(here, "tsconfig.json")],
    {
      stdio: "inherit",
    },
  );
  rewriteDeclarations(join(here, "dist"));
  return built;
}

/** Declarations keep the sources' `.ts` specifiers; a consumer resolves the emitted `.js`. */
export function rewriteDeclarations(dir: string): void {
  for (const entry of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const file = join(dir, entry);
    if (!file.endsWith(".d.ts") || !statSync(file).isFile()) continue;
    const text = readFileSync(file, "utf8");
    const fixed = text.replace(/((?:from|import)\s*\(?\s*["'])(\.{1,2}\/[^"']+)\.ts(["'])/g, "$1$2.js$3");
    if (fixed !== text) writeFileSync(file, fixed);
  }
}

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));

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

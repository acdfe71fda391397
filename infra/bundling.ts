import { resolve } from "node:path";
import { buildSync, type Metafile } from "esbuild";

/**
 * How every function is bundled: by the stack at synth, by the cold-start benchmark and by the
 * infra tests, so the benchmark measures exactly what is deployed.
 *
 * ESM with code splitting: what a handler imports statically is `index.mjs` plus the chunks it
 * imports; what it imports with `import()` (the shared cache: DynamoDB and KMS clients) and what the
 * AWS SDK imports that way (the credential providers a Lambda never needs: SSO, STS, INI files,
 * processes) sit in chunks read only when used. No source maps: loading one with
 * `--enable-source-maps` cost about 10 ms of every cold start. The output is deterministic (chunk
 * names hash their content), so an unchanged function keeps its asset hash.
 */
export const BUNDLE_TARGET = "node24";
export const BUNDLE_MAIN_FIELDS = ["module", "main"];
/** Some CommonJS dependencies call require(); give each ESM chunk one. */
export const BUNDLE_BANNER =
  "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";

export interface FunctionBundle {
  metafile: Metafile;
  /** Output files a cold start reads: index.mjs and the chunks it imports statically, transitively. */
  loadedAtInit: string[];
}

export function bundleFunction(
  entry: string,
  outdir: string,
  /** `splitting: false` only for comparison (the benchmark); deployed functions are always split. */
  options: { sourcemap?: boolean; splitting?: boolean } = {},
): FunctionBundle {
  const { metafile } = buildSync({
    entryPoints: { index: entry },
    outdir,
    outExtension: { ".js": ".mjs" },
    chunkNames: "chunks/[name]-[hash]",
    bundle: true,
    splitting: options.splitting ?? true,
    platform: "node",
    format: "esm",
    target: BUNDLE_TARGET,
    mainFields: BUNDLE_MAIN_FIELDS,
    banner: { js: BUNDLE_BANNER },
    minify: true,
    sourcemap: options.sourcemap ?? false,
    sourcesContent: false,
    metafile: true,
    logLevel: "warning",
  });
  const outputs = metafile.outputs;
  const loaded = new Set<string>();
  // The handler's file; every other output is a chunk (those for import() name an entry point too).
  const queue = Object.keys(outputs).filter((path) => resolve(path) === resolve(outdir, "index.mjs"));
  for (let path = queue.pop(); path !== undefined; path = queue.pop()) {
    if (loaded.has(path)) continue;
    loaded.add(path);
    for (const imported of outputs[path]?.imports ?? []) {
      if (imported.kind === "import-statement" && outputs[imported.path]) queue.push(imported.path);
    }
  }
  return { metafile, loadedAtInit: [...loaded] };
}

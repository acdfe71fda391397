/**
 * esbuild settings shared by the CDK functions and the cold-start benchmark, so the benchmark
 * measures exactly what is deployed.
 */
export const BUNDLE_TARGET = "node24";
export const BUNDLE_MAIN_FIELDS = ["module", "main"];
/** Some CommonJS dependencies call require(); give the ESM bundle one. */
export const BUNDLE_BANNER =
  "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";

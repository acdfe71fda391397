import * as z from "zod/mini";

/** Small zod/mini building blocks (zod/mini keeps the Lambda bundles small; see bench/results). */

/** A string of min..max characters. */
export function text(min: number, max = 100_000) {
  return z.string().check(z.minLength(min), z.maxLength(max));
}

/** An integer in [min, max]. */
export function intRange(min: number, max: number) {
  return z.int().check(z.gte(min), z.lte(max));
}

import * as z from "zod/mini";
import { allowedText, unknownPlaceholders } from "./template.ts";

/**
 * Config-time validation of templates (zod): which placeholders a place in the config may use is
 * checked at load and at synth, so a typo fails there. Rendering lives in ./template.ts (no zod).
 */
/** A template string that may use only the given placeholders (`secret` allows `secret.<field>`). */
export function templateString(allowed: readonly string[]) {
  return z.string().check(
    z.superRefine((value, ctx) => {
      for (const name of unknownPlaceholders(value, allowed)) {
        ctx.issues.push({
          code: "custom",
          input: value,
          message: `unknown placeholder {{${name}}}; allowed: ${allowedText(allowed)}`,
        });
      }
    }),
  );
}

/** Any JSON value whose strings are templates restricted as in templateString. */
export function templateJson(allowed: readonly string[]) {
  const check = (value: unknown, path: (string | number)[], issues: z.core.$ZodRawIssue[]) => {
    if (typeof value === "string") {
      for (const name of unknownPlaceholders(value, allowed)) {
        issues.push({
          code: "custom",
          input: value,
          path,
          message: `unknown placeholder {{${name}}}; allowed: ${allowedText(allowed)}`,
        });
      }
    } else if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) check(v, [...path, i], issues);
    } else if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) check(v, [...path, k], issues);
    }
  };
  return z.json().check(z.superRefine((value, ctx) => check(value, [], ctx.issues)));
}

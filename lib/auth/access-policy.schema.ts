import * as z from "zod/mini";
import { text } from "../config/schema-helpers.ts";
import type { AccessRule } from "./access-policy.ts";

/**
 * A connection's allow-list. A caller may use the connection when it matches at least one rule;
 * a rule matches when every condition it sets holds. No rules: nobody (deny by default).
 */
const names = () => z.optional(z.array(text(1)).check(z.minLength(1)));

export const accessRule = z
  .strictObject({
    /** The caller's `sub` is one of these. */
    subjects: names(),
    /** The caller holds all of these scopes (`scope`/`scp` claims). */
    scopes: names(),
    /** The caller is in at least one of these groups (`cognito:groups`/`groups` claims). */
    groups: names(),
    /** For each claim, the caller's value is (or its list contains) one of these. */
    claims: z.optional(z.record(text(1), z.array(z.string()).check(z.minLength(1)))),
  })
  .check(
    z.refine((r) => r.subjects || r.scopes || r.groups || r.claims, "a rule needs at least one condition"),
  );

export const accessPolicy = z.optional(z.array(accessRule).check(z.minLength(1)));

// The schema's output is exactly the run-time type (checked by the compiler).
export const _accessRuleShape: z.output<typeof accessRule> extends AccessRule ? true : never = true;

import { z } from "zod";
import type { Caller } from "./caller.ts";

/**
 * A connection's allow-list. A caller may use the connection when it matches at least one rule;
 * a rule matches when every condition it sets holds. No rules: nobody (deny by default).
 */
export const accessRule = z
  .strictObject({
    /** The caller's `sub` is one of these. */
    subjects: z.array(z.string().min(1)).min(1).optional(),
    /** The caller holds all of these scopes (`scope`/`scp` claims). */
    scopes: z.array(z.string().min(1)).min(1).optional(),
    /** The caller is in at least one of these groups (`cognito:groups`/`groups` claims). */
    groups: z.array(z.string().min(1)).min(1).optional(),
    /** For each claim, the caller's value is (or its list contains) one of these. */
    claims: z.record(z.string().min(1), z.array(z.string()).min(1)).optional(),
  })
  .refine((r) => r.subjects || r.scopes || r.groups || r.claims, "a rule needs at least one condition");
export type AccessRule = z.output<typeof accessRule>;

export const accessPolicy = z.array(accessRule).min(1).optional();

export function isAllowed(rules: readonly AccessRule[] | undefined, caller: Caller): boolean {
  if (caller.kind === "anonymous") return true; // local opt-in only; the server says so loudly
  return (rules ?? []).some((rule) => matches(rule, caller));
}

function matches(rule: AccessRule, caller: Extract<Caller, { kind: "verified" }>): boolean {
  if (rule.subjects && (!caller.subject || !rule.subjects.includes(caller.subject))) return false;
  if (rule.scopes && !rule.scopes.every((s) => caller.scopes.includes(s))) return false;
  if (rule.groups && !rule.groups.some((g) => caller.groups.includes(g))) return false;
  for (const [claim, allowed] of Object.entries(rule.claims ?? {})) {
    if (!(caller.claims[claim] ?? []).some((v) => allowed.includes(v))) return false;
  }
  return true;
}

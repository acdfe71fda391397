import type { Caller } from "./caller.ts";

/**
 * One rule of a connection's allow-list: a caller matches when every condition it sets holds.
 * Schema (load and synth): ./access-policy.schema.ts.
 */
export interface AccessRule {
  /** The caller's `sub` is one of these. */
  subjects?: string[] | undefined;
  /** The caller holds all of these scopes (`scope`/`scp` claims). */
  scopes?: string[] | undefined;
  /** The caller is in at least one of these groups (`cognito:groups`/`groups` claims). */
  groups?: string[] | undefined;
  /** For each claim, the caller's value is (or its list contains) one of these. */
  claims?: Record<string, string[]> | undefined;
}

/** A caller may use the connection when it matches at least one rule; no rules: nobody. */
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

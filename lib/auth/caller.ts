/**
 * Who is asking, from claims an authorizer has already verified (API Gateway's JWT authorizer in
 * AWS, the local authorizer locally). `anonymous` exists only for the explicit local opt-in.
 */
export type Caller =
  | {
      kind: "verified";
      subject?: string;
      scopes: readonly string[];
      groups: readonly string[];
      claims: Readonly<Record<string, readonly string[]>>;
    }
  | { kind: "anonymous" };

/**
 * Claims identity providers issue as lists. API Gateway renders every array claim as "[a b c]", and
 * a string claim the user controls could be shaped the same way, so only these are split; every
 * other claim is compared whole (a `sub` or `tenant` of "[globex]" is that string, not a list).
 */
export const LIST_CLAIMS: ReadonlySet<string> = new Set([
  "cognito:groups",
  "groups",
  "roles",
  "scp",
  "amr",
  "aud",
]);

/** A claim's values: list claims as lists (JSON arrays locally, "[a b]" from API Gateway). */
function values(name: string, raw: unknown): string[] {
  if (Array.isArray(raw)) return LIST_CLAIMS.has(name) ? raw.map(String) : [JSON.stringify(raw)];
  if (typeof raw === "string") {
    const trimmed = raw.trim();
    if (LIST_CLAIMS.has(name) && trimmed.startsWith("[") && trimmed.endsWith("]"))
      return trimmed
        .slice(1, -1)
        .split(/[\s,]+/)
        .filter(Boolean);
    return [raw];
  }
  if (typeof raw === "number" || typeof raw === "boolean") return [String(raw)];
  return [];
}

/** Builds a verified caller from an authorizer's claims (and, for API Gateway, its parsed scopes). */
export function verifiedCaller(
  claims: Record<string, unknown>,
  gatewayScopes?: readonly string[] | null,
): Caller {
  const all: Record<string, string[]> = {};
  for (const [name, raw] of Object.entries(claims)) all[name] = values(name, raw);
  const scopes = new Set<string>(gatewayScopes ?? []);
  for (const scope of [...(all.scope ?? []), ...(all.scp ?? [])])
    for (const s of scope.split(" ")) if (s) scopes.add(s);
  const subject = all.sub?.[0];
  return {
    kind: "verified",
    ...(subject ? { subject } : {}),
    scopes: [...scopes],
    groups: [...(all["cognito:groups"] ?? []), ...(all.groups ?? [])],
    claims: all,
  };
}

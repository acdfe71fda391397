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

/** API Gateway HTTP API renders array claims as "[a b c]"; JSON arrays arrive from the local authorizer. */
function values(raw: unknown): string[] {
  if (Array.isArray(raw)) return raw.map(String);
  if (typeof raw === "string") {
    const trimmed = raw.trim();
    if (trimmed.startsWith("[") && trimmed.endsWith("]"))
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
  for (const [name, raw] of Object.entries(claims)) all[name] = values(raw);
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

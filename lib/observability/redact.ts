/**
 * The last line of defence against leaks: every log line (the logger's JSON replacer) and every
 * problem body passes through here. Three rules:
 * 1. keys that name credentials (authorization, cookie, secret, token, password, signature,
 *    assertion, api key) have their values replaced;
 * 2. every value the broker knows to be sensitive (secret fields, tokens, minted headers, and their
 *    URL-, base64- and base64url-encoded forms) is replaced wherever it appears in a string;
 * 3. anything shaped like a JWT or an HTTP credential (Bearer/Basic ...) is replaced.
 */
export const REDACTED = "[REDACTED]";

const SENSITIVE_KEY =
  /authorization|cookie|secret|token|passw|signature|assertion|api[-_]?key|credential|private[-_]?key/i;
const JWT = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const HTTP_CREDENTIAL = /\b(Bearer|Basic|DPoP)\s+[A-Za-z0-9._~+/=-]{4,}/gi;
/** Shorter values would redact ordinary words; such secrets are caught by the key and shape rules. */
const MIN_LENGTH = 6;
/**
 * Bounds on what is tracked, so a long-lived container neither grows nor slows each log line.
 * Secret fields are few and must stay redacted for the life of the process: a tier of their own.
 * Per-request values (tokens, minted headers) churn: the least recently registered is forgotten
 * first, and what it leaves unredacted once forgotten (an expired JWT) still meets the shape rules.
 */
export const MAX_TRACKED = { lasting: 256, recent: 512 } as const;

/** The forms a value travels in: raw, URL-encoded (both flavours), base64 and base64url. */
export function encodedForms(value: string): string[] {
  const bytes = Buffer.from(value);
  return [
    ...new Set([
      value,
      encodeURIComponent(value),
      new URLSearchParams({ v: value }).toString().slice(2),
      bytes.toString("base64"),
      bytes.toString("base64").replace(/=+$/, ""),
      bytes.toString("base64url"),
    ]),
  ];
}

const tiers = { lasting: new Map<string, string[]>(), recent: new Map<string, string[]>() };

/**
 * Registers a value (and its encoded forms) as sensitive. `lasting`: a secret field, kept for the
 * life of the process; otherwise one of the most recent `MAX_TRACKED.recent` values.
 */
export function registerSensitive(value: string | undefined, options: { lasting?: boolean } = {}): void {
  if (!value || value.length < MIN_LENGTH) return;
  const tier = options.lasting ? "lasting" : "recent";
  const map = tiers[tier];
  if (tier === "recent" && tiers.lasting.has(value)) return;
  const forms = map.get(value) ?? encodedForms(value);
  map.delete(value); // re-inserted last: the most recently registered
  if (tier === "lasting") tiers.recent.delete(value);
  map.set(value, forms);
  if (map.size > MAX_TRACKED[tier]) map.delete(map.keys().next().value as string);
}

/** How many values are tracked now (the bench and tests watch it stay bounded). */
export function trackedSensitiveCount(): number {
  return tiers.lasting.size + tiers.recent.size;
}

export function redactText(text: string): string {
  let out = text;
  for (const map of [tiers.lasting, tiers.recent]) {
    for (const forms of map.values()) {
      for (const form of forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
    }
  }
  return out.replace(JWT, REDACTED).replace(HTTP_CREDENTIAL, `$1 ${REDACTED}`);
}

/** JSON.stringify replacer: the logger's, and anything else serialized for the outside. */
export function redactReplacer(key: string, value: unknown): unknown {
  if (
    key !== "" &&
    SENSITIVE_KEY.test(key) &&
    value !== null &&
    typeof value !== "object" &&
    value !== undefined
  ) {
    return REDACTED;
  }
  return typeof value === "string" ? redactText(value) : value;
}

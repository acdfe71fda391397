/**
 * The last line of defence against leaks: every log line (the logger's JSON replacer) and every
 * problem body passes through here. Three rules:
 * 1. keys that name credentials (authorization, cookie, secret, token, password, signature,
 *    assertion, api key) have their values replaced;
 * 2. every value the broker knows to be sensitive (secret fields, tokens, minted headers, and their
 *    URL- and base64-encoded forms) is replaced wherever it appears in a string;
 * 3. anything shaped like a JWT or an HTTP credential (Bearer/Basic ...) is replaced.
 */
export const REDACTED = "[REDACTED]";

const SENSITIVE_KEY =
  /authorization|cookie|secret|token|passw|signature|assertion|api[-_]?key|credential|private[-_]?key/i;
const JWT = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const HTTP_CREDENTIAL = /\b(Bearer|Basic|DPoP)\s+[A-Za-z0-9._~+/=-]{4,}/gi;
/** Shorter values would redact ordinary words; such secrets are caught by the key and shape rules. */
const MIN_LENGTH = 6;
const MAX_TRACKED = 5000;

const sensitive = new Set<string>();

/** Registers a value (and its common encodings) as sensitive for the life of the process. */
export function registerSensitive(value: string | undefined): void {
  if (!value || value.length < MIN_LENGTH || sensitive.has(value)) return;
  if (sensitive.size >= MAX_TRACKED) sensitive.delete(sensitive.values().next().value as string);
  for (const form of [
    value,
    encodeURIComponent(value),
    new URLSearchParams({ v: value }).toString().slice(2),
    Buffer.from(value).toString("base64"),
  ]) {
    sensitive.add(form);
  }
}

export function redactText(text: string): string {
  let out = text;
  for (const value of sensitive) {
    if (out.includes(value)) out = out.split(value).join(REDACTED);
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

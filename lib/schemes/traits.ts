import type { SchemeName } from "./registry.ts";

/**
 * What a connection's credential exposes once it is in a caller's hands (a browser's devtools
 * included), and so how it may reach callers by default:
 * - `per-request`: minted for this request and expiring within SHORT_LIVED_SECONDS (an API key +
 *   JWT signature): headers by default, as vendors designed such signatures for client-side use;
 * - `replayable`: a minted JWT with no `exp`, or one valid for longer, or one reused across
 *   requests: whoever copies it can use it until it expires, if ever;
 * - `long-lived`: a static key or token;
 * - `shared`: a token from the upstream that every caller of the connection is handed.
 * Anything but `per-request` goes through the proxy unless the config names headers delivery.
 * Refresh tokens, signing keys and secrets never leave the broker, whatever the class.
 */
export type Exposure = "per-request" | "replayable" | "long-lived" | "shared";

/** A minted credential expiring within this is `per-request`. */
export const SHORT_LIVED_SECONDS = 300;

/** The exposure classes handed out as headers when the config does not name a delivery. */
export const HEADERS_BY_DEFAULT: ReadonlySet<Exposure> = new Set(["per-request"]);

/** The part of a scheme's validated config its exposure depends on. */
interface ExposureInput {
  jwt?: { expiresInSeconds?: number | undefined };
  reuse?: boolean;
}

/**
 * What a scheme's credential is, declared once per scheme and written into every connection of the
 * resolved config, so the config checks, the CLI, the stack and the broker read the trait instead
 * of comparing scheme names. A scheme missing here is a compile error.
 */
export interface SchemeTraits {
  /** Minted by the broker on every request, or obtained from an upstream and cached. */
  issuance: "minted" | "exchanged";
  exposure: (config: ExposureInput) => Exposure;
}

export const SCHEME_TRAITS: Readonly<Record<SchemeName, SchemeTraits>> = {
  static: { issuance: "minted", exposure: () => "long-lived" },
  "signed-jwt": {
    issuance: "minted",
    exposure: ({ jwt, reuse }) =>
      !reuse && jwt?.expiresInSeconds !== undefined && jwt.expiresInSeconds <= SHORT_LIVED_SECONDS
        ? "per-request"
        : "replayable",
  },
  "oauth2-client-credentials": { issuance: "exchanged", exposure: () => "shared" },
  "token-exchange": { issuance: "exchanged", exposure: () => "shared" },
};

/** What each class means to someone deciding on headers delivery (config errors and docs). */
export const EXPOSURE_RISK: Readonly<Record<Exposure, string>> = {
  "per-request": "a signature for one request that expires within minutes at most",
  replayable:
    "a minted JWT without a short exp: anyone who copies it from a page can replay it until it expires, if ever",
  "long-lived": "a static credential: anyone who copies it from a page keeps it",
  shared:
    "a token every caller of the connection shares: anyone who copies it from a page can use it, with all its scope, until it expires",
};

export function traitsOf(scheme: string): SchemeTraits {
  const traits = (SCHEME_TRAITS as Record<string, SchemeTraits>)[scheme];
  if (!traits) throw new Error(`No traits for scheme ${scheme}`);
  return traits;
}

import type { SchemeName } from "./registry.ts";

/**
 * What a scheme's credential is, declared once per scheme and written into every connection of the
 * resolved config, so the config checks, the CLI, the stack and the broker read the trait instead
 * of comparing scheme names. A scheme missing here is a compile error.
 */
export interface SchemeTraits {
  /** Minted by the broker on every request, or obtained from an upstream and cached. */
  issuance: "minted" | "exchanged";
  /** A credential that stays valid for long (a static key): never handed out unless the config says so. */
  longLived: boolean;
}

export const SCHEME_TRAITS: Readonly<Record<SchemeName, SchemeTraits>> = {
  static: { issuance: "minted", longLived: true },
  "signed-jwt": { issuance: "minted", longLived: false },
  "oauth2-client-credentials": { issuance: "exchanged", longLived: false },
  "token-exchange": { issuance: "exchanged", longLived: false },
};

export function traitsOf(scheme: string): SchemeTraits {
  const traits = (SCHEME_TRAITS as Record<string, SchemeTraits>)[scheme];
  if (!traits) throw new Error(`No traits for scheme ${scheme}`);
  return traits;
}

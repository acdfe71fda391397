import { oauth2ClientCredentialsScheme } from "./oauth2-client-credentials.ts";
import { signedJwtScheme } from "./signed-jwt.ts";
import { staticScheme } from "./static.ts";
import { tokenExchangeScheme } from "./token-exchange.ts";

/**
 * Every credential scheme the broker knows, at run time (no zod). A new scheme is a file and its
 * `.schema.ts` beside it, plus one line here and one in ./schema-registry.ts.
 */
export const SCHEMES = [
  staticScheme,
  signedJwtScheme,
  oauth2ClientCredentialsScheme,
  tokenExchangeScheme,
] as const;

export type SchemeName = (typeof SCHEMES)[number]["name"];

/** The run-time schemes by name: a lookup the compiler checks (see ConnectionRegistry). */
export const SCHEME_BY_NAME = Object.fromEntries(SCHEMES.map((s) => [s.name, s])) as {
  readonly [N in SchemeName]: Extract<(typeof SCHEMES)[number], { name: N }>;
};

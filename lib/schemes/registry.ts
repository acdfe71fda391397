import { deferredScheme } from "./deferred-scheme.ts";
import type { OAuth2ClientCredentialsConfig } from "./oauth2-client-credentials.schema.ts";
import { signedJwtScheme } from "./signed-jwt.ts";
import { staticScheme } from "./static.ts";
import type { TokenExchangeConfig } from "./token-exchange.schema.ts";

/**
 * Every credential scheme the broker knows, at run time (no zod). A new scheme is a file and its
 * `.schema.ts` beside it, plus one line here and one in ./schema-registry.ts.
 */
export const SCHEMES = [
  staticScheme,
  signedJwtScheme,
  // Exchanged schemes: their code is read with the shared cache's chunk, never at init.
  deferredScheme<"oauth2-client-credentials", OAuth2ClientCredentialsConfig>(
    "oauth2-client-credentials",
    (m) => m.oauth2ClientCredentialsScheme,
  ),
  deferredScheme<"token-exchange", TokenExchangeConfig>("token-exchange", (m) => m.tokenExchangeScheme),
] as const;

export type SchemeName = (typeof SCHEMES)[number]["name"];

/** The run-time schemes by name: a lookup the compiler checks (see ConnectionRegistry). */
export const SCHEME_BY_NAME = Object.fromEntries(SCHEMES.map((s) => [s.name, s])) as {
  readonly [N in SchemeName]: Extract<(typeof SCHEMES)[number], { name: N }>;
};

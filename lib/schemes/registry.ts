import { oauth2ClientCredentialsScheme } from "./oauth2-client-credentials.ts";
import { signedJwtScheme } from "./signed-jwt.ts";
import { staticScheme } from "./static.ts";
import { tokenExchangeScheme } from "./token-exchange.ts";

/** Every credential scheme the broker knows. A new scheme is one file plus one line here. */
export const SCHEMES = [
  staticScheme,
  signedJwtScheme,
  oauth2ClientCredentialsScheme,
  tokenExchangeScheme,
] as const;

import { oauth2ClientCredentialsSchema } from "./oauth2-client-credentials.schema.ts";
import { signedJwtSchema } from "./signed-jwt.schema.ts";
import { staticSchema } from "./static.schema.ts";
import { tokenExchangeSchema } from "./token-exchange.schema.ts";

/** Every scheme's config schema (load and synth only; the run-time factories are in ./registry.ts). */
export const SCHEME_SCHEMAS = [
  staticSchema,
  signedJwtSchema,
  oauth2ClientCredentialsSchema,
  tokenExchangeSchema,
] as const;

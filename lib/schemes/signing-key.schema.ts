import * as z from "zod/mini";
import { text } from "../config/schema-helpers.ts";
import { ASYMMETRIC_ALGORITHMS, HMAC_ALGORITHMS, type SigningKeySpec } from "./signing-key.ts";

export const signingAlgorithm = z.enum([...HMAC_ALGORITHMS, ...ASYMMETRIC_ALGORITHMS]);

/** See SigningKeySpec in ./signing-key.ts. */
export const signingKeySpec = z.strictObject({
  field: text(1),
  encoding: z._default(z.enum(["utf8", "base64", "base64url"]), "utf8"),
}) satisfies z.ZodMiniType<SigningKeySpec>;

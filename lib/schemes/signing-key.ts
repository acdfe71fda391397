import { createPrivateKey } from "node:crypto";
import type { CryptoKey, JWK } from "jose";
import { jose } from "./jose.ts";
import { SecretInvalidError } from "../errors.ts";
import { secretField } from "../secrets/parse-secret.ts";
import type { Secret } from "../secrets/secret-source.ts";

export const HMAC_ALGORITHMS = ["HS256", "HS384", "HS512"] as const;
export const ASYMMETRIC_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
] as const;
export type SigningAlgorithm = (typeof HMAC_ALGORITHMS)[number] | (typeof ASYMMETRIC_ALGORITHMS)[number];

/**
 * Where the signing key lives in the secret and how its text becomes key bytes. HMAC keys are used
 * as UTF-8 bytes of the text unless the vendor says they are base64; asymmetric keys are PKCS#8,
 * PKCS#1 or SEC1 PEM, or a private JWK (JSON text), detected from the value. Schema: ./signing-key.schema.ts.
 */
export interface SigningKeySpec {
  field: string;
  encoding: "utf8" | "base64" | "base64url";
}

export type SigningKey = CryptoKey | Uint8Array;

/** RFC 7518 3.2 / RFC 8725 3.5: an HMAC key at least as long as the hash output. */
const MIN_HMAC_BYTES: Record<string, number> = { HS256: 32, HS384: 48, HS512: 64 };

export function isHmac(alg: string): boolean {
  return alg in MIN_HMAC_BYTES;
}

// Imported keys per secret object: secrets are cached, so this skips re-importing RSA/EC keys per request.
const cache = new WeakMap<Secret, Map<string, Promise<SigningKey>>>();

export function signingKey(secret: Secret, spec: SigningKeySpec, alg: SigningAlgorithm): Promise<SigningKey> {
  let perSecret = cache.get(secret);
  if (!perSecret) {
    perSecret = new Map();
    cache.set(secret, perSecret);
  }
  const id = `${spec.field}\0${spec.encoding}\0${alg}`;
  let key = perSecret.get(id);
  if (!key) {
    key = loadKey(secret, spec, alg);
    perSecret.set(id, key);
    key.catch(() => perSecret.delete(id));
  }
  return key;
}

async function loadKey(secret: Secret, spec: SigningKeySpec, alg: SigningAlgorithm): Promise<SigningKey> {
  const text = secretField(secret, spec.field);
  const where = `Secret "${secret.id}" field "${spec.field}"`;
  if (isHmac(alg)) {
    const bytes =
      spec.encoding === "utf8" ? new TextEncoder().encode(text) : Buffer.from(text, spec.encoding);
    const min = MIN_HMAC_BYTES[alg] as number;
    if (bytes.byteLength < min) {
      throw new SecretInvalidError(
        `${where} is ${bytes.byteLength} bytes; ${alg} needs a key of at least ${min} bytes (RFC 7518 3.2).`,
      );
    }
    return bytes;
  }
  try {
    const trimmed = text.trim();
    if (trimmed.startsWith("{")) return (await jose()).importJWK(JSON.parse(trimmed) as JWK, alg);
    // PKCS#1 ("RSA PRIVATE KEY", GitHub Apps) and SEC1 ("EC PRIVATE KEY") PEM: node's KeyObject
    // re-encodes them as PKCS#8, the one PEM form jose imports.
    const pkcs8 = /-----BEGIN (RSA|EC) PRIVATE KEY-----/.test(trimmed)
      ? (createPrivateKey(trimmed).export({ type: "pkcs8", format: "pem" }) as string)
      : trimmed;
    return await (await jose()).importPKCS8(pkcs8, alg);
  } catch (error) {
    throw new SecretInvalidError(`${where} is not a ${alg} private key (PKCS#8 PEM or JWK).`, {
      cause: error,
    });
  }
}

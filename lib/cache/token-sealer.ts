import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * Where data keys come from: KMS in AWS (GenerateDataKey / Decrypt under the stage's key), a local
 * key for DynamoDB Local. Only the wrapped form of a data key is ever stored.
 */
export interface DataKeySource {
  /** A fresh 256-bit data key and its wrapped (encrypted) form. */
  generate(): Promise<{ plaintext: Uint8Array; wrapped: Uint8Array }>;
  /** The data key inside a wrapped form this source produced. */
  unwrap(wrapped: Uint8Array): Promise<Uint8Array>;
}

export interface TokenSealerOptions {
  /** A data key is used for new writes this long, then a new one is generated (default 1 h). */
  maxKeyAgeMs?: number;
  now?: () => number;
}

/** Sealed values start with this: a field without it was written before encryption existed. */
export const SEALED_PREFIX = "v1.";

const IV_BYTES = 12;
const TAG_BYTES = 16;
const MAX_OPEN_KEYS = 32;

/**
 * Envelope encryption of the token fields of a cache item: AES-256-GCM under a data key, with the
 * item's partition key and the field name as additional authenticated data, so a sealed value
 * cannot be moved to another connection's item or to another field. One data key per container and
 * rotation period (one GenerateDataKey), unwrapped keys of other containers cached by their wrapped
 * form (one Decrypt each). node:crypto's AES-GCM, not jose's JWE: no header to carry, external AAD,
 * and a synchronous few microseconds on the DynamoDB-hit path.
 */
export class TokenSealer {
  readonly #source: DataKeySource;
  readonly #maxKeyAgeMs: number;
  readonly #now: () => number;
  #current: Promise<{ key: Uint8Array; wrapped: string; createdAt: number }> | undefined;
  readonly #opened = new Map<string, Promise<Uint8Array>>();

  constructor(source: DataKeySource, options: TokenSealerOptions = {}) {
    this.#source = source;
    this.#maxKeyAgeMs = options.maxKeyAgeMs ?? 3_600_000;
    this.#now = options.now ?? Date.now;
  }

  /** The current data key: `wrapped` is stored with the item, `seal` encrypts its fields. */
  async sealer(): Promise<{ wrapped: string; seal: (plaintext: string, aad: string) => string }> {
    let current = this.#current ? await this.#current.catch(() => undefined) : undefined;
    if (!current || this.#now() - current.createdAt >= this.#maxKeyAgeMs) {
      const created = this.#source.generate().then(({ plaintext, wrapped }) => ({
        key: plaintext,
        wrapped: Buffer.from(wrapped).toString("base64"),
        createdAt: this.#now(),
      }));
      this.#current = created;
      current = await created;
      this.#remember(current.wrapped, Promise.resolve(current.key));
    }
    const { key, wrapped } = current;
    return { wrapped, seal: (plaintext, aad) => seal(key, plaintext, aad) };
  }

  /** Opens fields sealed under the data key whose wrapped form is `wrapped`. */
  async opener(wrapped: string): Promise<{ open: (sealed: string, aad: string) => string }> {
    let key = this.#opened.get(wrapped);
    if (!key) {
      key = this.#source.unwrap(Buffer.from(wrapped, "base64"));
      this.#remember(wrapped, key);
      key.catch(() => this.#opened.delete(wrapped)); // a failed unwrap is retried next time
    }
    const plaintextKey = await key;
    return { open: (sealed, aad) => open(plaintextKey, sealed, aad) };
  }

  #remember(wrapped: string, key: Promise<Uint8Array>) {
    this.#opened.set(wrapped, key);
    if (this.#opened.size > MAX_OPEN_KEYS) this.#opened.delete(this.#opened.keys().next().value as string);
  }
}

/** Thrown when a sealed value does not open: tampered, moved, or under an unknown key. */
export class SealedValueError extends Error {
  override name = "SealedValueError";
}

function seal(key: Uint8Array, plaintext: string, aad: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return `${SEALED_PREFIX}${iv.toString("base64url")}.${body.toString("base64url")}`;
}

function open(key: Uint8Array, sealed: string, aad: string): string {
  const parts = sealed.split(".");
  if (parts.length !== 3 || `${parts[0]}.` !== SEALED_PREFIX)
    throw new SealedValueError("not a sealed value");
  const iv = Buffer.from(parts[1] as string, "base64url");
  const body = Buffer.from(parts[2] as string, "base64url");
  if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new SealedValueError("malformed sealed value");
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, iv);
    decipher.setAAD(Buffer.from(aad, "utf8"));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(body.subarray(0, body.length - TAG_BYTES)),
      decipher.final(),
    ]).toString("utf8");
  } catch {
    throw new SealedValueError("sealed value does not authenticate (tampered, moved, or another key)");
  }
}

/**
 * Data keys wrapped by a local 256-bit key (AES-256-GCM): DynamoDB Local runs and tests take the
 * same envelope path as AWS. Local only: the key is in the environment, not in an HSM.
 */
export function localDataKeys(masterKey: Uint8Array): DataKeySource {
  if (masterKey.length !== 32) throw new Error("the local cache key must be 32 bytes");
  return {
    async generate() {
      const plaintext = randomBytes(32);
      return { plaintext, wrapped: Buffer.from(seal(masterKey, plaintext.toString("base64"), "data-key")) };
    },
    async unwrap(wrapped) {
      return Buffer.from(open(masterKey, Buffer.from(wrapped).toString("utf8"), "data-key"), "base64");
    },
  };
}

import { createHash } from "node:crypto";

/** A token is never handed out with less than this left: the caller must be able to use it. */
export const MIN_REMAINING_MS = 5_000;

/** 128 bits of SHA-256: names a token without revealing it (tokens are high-entropy secrets). */
export function tokenIdOf(accessToken: string): string {
  return createHash("sha256").update(accessToken).digest("base64url").slice(0, 22);
}

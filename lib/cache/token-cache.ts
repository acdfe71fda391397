import type { ConnectionHealth } from "../health/connection-health.ts";
import type { TokenSet } from "../schemes/scheme.ts";

/** How the broker judges a cached token and gets a new one; the cache decides when to call what. */
export interface RefreshPolicy {
  /** Servable without refreshing (outside the skew, same secret version). */
  isFresh(tokens: TokenSet): boolean;
  /** Still servable if refreshing fails (not yet expired, same secret version). */
  isUsable(tokens: TokenSet): boolean;
  /**
   * Obtains a new token; `current` is the cached token (for its refresh token), if any. `known`:
   * the connection's health as the caller already read it with the item (undefined inside: none),
   * so the breaker check costs no second read; absent: the policy reads it itself. `abandonedLease`:
   * this refresh took over from a holder that died mid-refresh (its refresh token was dropped).
   */
  refresh(
    current: TokenSet | undefined,
    known?: { health: ConnectionHealth | undefined; abandonedLease?: boolean },
  ): Promise<TokenSet>;
  /** The secret version this process holds (the dead-credential breaker is per version). */
  secretVersion(): string;
  /** After a failed refresh: whether it may have consumed the refresh token (drop it, never replay). */
  refreshTokenSpent(): boolean;
}

export interface CachedTokens {
  tokens: TokenSet;
  /** Where the answer came from: a cache level, or a fresh upstream call. */
  source: "memory" | "shared" | "upstream";
}

/**
 * A token cache with single-flight refresh: in-process (MemoryTokenCache), optionally in front of
 * a shared level (DynamoDbTokenLoader). Never returns a token `policy.isUsable` rejects.
 */
export interface TokenCache {
  get(key: string, policy: RefreshPolicy): Promise<CachedTokens>;
}

/**
 * The level behind the in-process cache: called once per key at a time (the in-process single
 * flight), with the token this process holds, if any.
 */
export type TokenLoader = (
  key: string,
  policy: RefreshPolicy,
  current: TokenSet | undefined,
) => Promise<CachedTokens>;

/** No shared level: refresh straight from the upstream. */
export const refreshFromUpstream: TokenLoader = async (_key, policy, current) => ({
  tokens: await policy.refresh(current),
  source: "upstream",
});

/** A token set whose refresh token is treated as spent: never presented again (RFC 9700 4.14.2). */
export function withoutRefreshToken({ refreshToken: _r, refreshExpiresAt: _e, ...rest }: TokenSet): TokenSet {
  return rest;
}

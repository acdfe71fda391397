import type { TokenSet } from "../schemes/scheme.ts";
import {
  type CachedTokens,
  type RefreshPolicy,
  refreshFromUpstream,
  type TokenCache,
  type TokenLoader,
  withoutRefreshToken,
} from "./token-cache.ts";

export interface MemoryTokenCacheOptions {
  /** Entries kept; the least recently used is evicted beyond this. */
  maxEntries?: number;
  /** The next level (DynamoDB); default: refresh from the upstream. */
  next?: TokenLoader;
}

/**
 * In-process token cache with in-flight de-duplication: N concurrent requests for a stale key in
 * one process cause one call to the next level. If that fails, a still-usable token is served.
 */
export class MemoryTokenCache implements TokenCache {
  readonly #entries = new Map<string, TokenSet>();
  readonly #inflight = new Map<string, Promise<CachedTokens>>();
  readonly #maxEntries: number;
  readonly #next: TokenLoader;

  constructor(options: MemoryTokenCacheOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 1000;
    this.#next = options.next ?? refreshFromUpstream;
  }

  async get(key: string, policy: RefreshPolicy): Promise<CachedTokens> {
    const current = this.#entries.get(key);
    if (current && policy.isFresh(current)) {
      this.#remember(key, current);
      return { tokens: current, source: "memory" };
    }
    let flight = this.#inflight.get(key);
    if (!flight) {
      flight = this.#next(key, policy, current).then((result) => {
        this.#remember(key, result.tokens);
        return result;
      });
      this.#inflight.set(key, flight);
      flight.then(
        () => this.#inflight.delete(key),
        () => this.#inflight.delete(key),
      );
    }
    try {
      return await flight;
    } catch (error) {
      let held = current;
      if (held?.refreshToken !== undefined && policy.refreshTokenSpent()) {
        // The failed attempt may have consumed it: never present it again (RFC 9700 4.14.2).
        held = withoutRefreshToken(held);
        if (this.#entries.get(key) === current) this.#entries.set(key, held);
      }
      if (held && policy.isUsable(held)) return { tokens: held, source: "memory" };
      throw error;
    }
  }

  #remember(key: string, tokens: TokenSet) {
    this.#entries.delete(key);
    this.#entries.set(key, tokens);
    if (this.#entries.size > this.#maxEntries) {
      this.#entries.delete(this.#entries.keys().next().value as string);
    }
  }
}

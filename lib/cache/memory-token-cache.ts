import type { TokenSet } from "../schemes/scheme.ts";
import type { CachedTokens, RefreshPolicy, TokenCache } from "./token-cache.ts";

export interface MemoryTokenCacheOptions {
  /** Entries kept; the least recently used is evicted beyond this. */
  maxEntries?: number;
}

/**
 * In-process token cache with in-flight de-duplication: N concurrent requests for a stale key in
 * one process cause one refresh. If the refresh fails, a still-usable token is served instead.
 */
export class MemoryTokenCache implements TokenCache {
  readonly #entries = new Map<string, TokenSet>();
  readonly #inflight = new Map<string, Promise<TokenSet>>();
  readonly #maxEntries: number;

  constructor(options: MemoryTokenCacheOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 1000;
  }

  async get(key: string, policy: RefreshPolicy): Promise<CachedTokens> {
    const current = this.#entries.get(key);
    if (current && policy.isFresh(current)) {
      this.#touch(key, current);
      return { tokens: current, source: "memory" };
    }
    let flight = this.#inflight.get(key);
    if (!flight) {
      flight = policy.refresh(current).then((tokens) => {
        this.#touch(key, tokens);
        return tokens;
      });
      const settled = flight.finally(() => this.#inflight.delete(key));
      settled.catch(() => {});
      this.#inflight.set(key, flight);
    }
    try {
      return { tokens: await flight, source: "upstream" };
    } catch (error) {
      if (current && policy.isUsable(current)) return { tokens: current, source: "memory" };
      throw error;
    }
  }

  /** Drops a key (e.g. after the upstream rejected its token). */
  delete(key: string): void {
    this.#entries.delete(key);
  }

  #touch(key: string, tokens: TokenSet) {
    this.#entries.delete(key);
    this.#entries.set(key, tokens);
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }
}

import { parseSecret } from "./parse-secret.ts";
import type { GetSecretOptions, RawSecretFetcher, Secret, SecretSource } from "./secret-source.ts";

export interface CachedSecretSourceOptions {
  /** How long a fetched secret is reused before the backend is asked again. */
  maxAgeMs: number;
  now?: () => number;
}

interface Entry {
  fetchedAt: number;
  promise: Promise<Secret>;
}

/**
 * Reads each secret at most once per max-age per process, and de-duplicates concurrent reads:
 * N callers on a cold container cause one backend call. Failed reads are not cached.
 */
export class CachedSecretSource implements SecretSource {
  readonly #fetch: RawSecretFetcher;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();

  constructor(fetch: RawSecretFetcher, options: CachedSecretSourceOptions) {
    this.#fetch = fetch;
    this.#maxAgeMs = options.maxAgeMs;
    this.#now = options.now ?? Date.now;
  }

  get(id: string, options: GetSecretOptions = {}): Promise<Secret> {
    const now = this.#now();
    const entry = this.#entries.get(id);
    if (entry && !options.forceRefresh && now - entry.fetchedAt < this.#maxAgeMs) return entry.promise;
    const promise = this.#fetch(id).then((raw) => parseSecret(id, raw));
    const fresh: Entry = { fetchedAt: now, promise };
    this.#entries.set(id, fresh);
    promise.catch(() => {
      if (this.#entries.get(id) === fresh) this.#entries.delete(id);
    });
    return promise;
  }
}

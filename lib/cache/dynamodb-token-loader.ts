import { randomUUID } from "node:crypto";
import { TokenRefreshPendingError, UpstreamUnavailableError } from "../errors.ts";
import { breakerOpenError, rejectsNow } from "../health/connection-health.ts";
import { logger } from "../observability/logger.ts";
import { remainingInvocationMs } from "../runtime/invocation-deadline.ts";
import { countMetric, METRIC } from "../observability/metrics.ts";
import type { TokenSet } from "../schemes/scheme.ts";
import type { DynamoDbTokenStore, StoredTokens } from "./dynamodb-token-store.ts";
import {
  type CachedTokens,
  type RefreshPolicy,
  type TokenLoader,
  withoutRefreshToken,
} from "./token-cache.ts";

export interface DynamoDbTokenLoaderOptions {
  /** Identifies this instance as lease owner (default: a random UUID per process). */
  owner?: string;
  /**
   * How long a lease protects a refresh. Longer than a refresh can take (upstream timeout x
   * attempts), so a live holder never loses it; a dead holder blocks others this long at most.
   */
  leaseMs?: number;
  /** How long a request waits for another instance's refresh before answering 503. */
  waitMs?: number;
  /** First and largest poll interval while waiting (exponential backoff with jitter in between). */
  pollMs?: { min: number; max: number };
  /** Upper bound on a cooldown recorded from an upstream Retry-After. */
  maxCooldownMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** Time kept back at the end of an invocation to answer before Lambda's timeout. */
const INVOCATION_MARGIN_MS = 1_000;

const sleepWithTimer = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The shared level behind the in-process cache: DynamoDB, with a lease taken by conditional write
 * so exactly one instance refreshes a token while the others serve the still-valid one or wait.
 * Every read checks expiry itself (TTL deletion is lazy; DynamoDB Local never deletes). When
 * DynamoDB fails, it degrades to refreshing directly (the in-process single flight still holds).
 */
export class DynamoDbTokenLoader {
  readonly #store: DynamoDbTokenStore;
  readonly #owner: string;
  readonly #leaseMs: number;
  readonly #waitMs: number;
  readonly #poll: { min: number; max: number };
  readonly #maxCooldownMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;

  constructor(store: DynamoDbTokenStore, options: DynamoDbTokenLoaderOptions = {}) {
    this.#store = store;
    this.#owner = options.owner ?? randomUUID();
    this.#leaseMs = options.leaseMs ?? 25_000;
    this.#waitMs = options.waitMs ?? 8_000;
    this.#poll = options.pollMs ?? { min: 25, max: 400 };
    this.#maxCooldownMs = options.maxCooldownMs ?? 60_000;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? sleepWithTimer;
    this.#random = options.random ?? Math.random;
  }

  /** Use as `new MemoryTokenCache({ next: dynamoDbTokenCache.load })`. */
  readonly load: TokenLoader = async (key, policy, current) => {
    let item: StoredTokens | undefined;
    try {
      item = await this.#store.read(key);
    } catch (error) {
      return this.#degraded(error, policy);
    }
    // Bounded by the invocation: answer 503 before Lambda's own timeout would.
    const deadline =
      this.#now() +
      Math.min(this.#waitMs, Math.max(0, (remainingInvocationMs() ?? Infinity) - INVOCATION_MARGIN_MS));
    let delay = this.#poll.min;
    // The version we judged stale. Once it moves, someone refreshed since: take their token if it is
    // usable rather than refresh again (two refreshes in a row would only burn upstream calls).
    const staleVersion = item?.version ?? 0;
    const refreshedMeanwhile = (stored: StoredTokens | undefined) =>
      stored?.tokens !== undefined && stored.version !== staleVersion && policy.isUsable(stored.tokens);
    for (;;) {
      if (item?.tokens && (policy.isFresh(item.tokens) || refreshedMeanwhile(item))) {
        return { tokens: item.tokens, source: "shared" };
      }
      const held = this.#heldBack(item, policy);
      if (held) return held;
      let lease: { abandoned: boolean } | undefined;
      try {
        lease = await this.#store.acquireLease(key, this.#owner, this.#now(), this.#leaseDuration());
      } catch (error) {
        return this.#degraded(error, policy);
      }
      if (lease) return this.#refreshUnderLease(key, policy, current, refreshedMeanwhile, lease.abandoned);
      // Another instance is refreshing: serve the current token while it lasts, else wait for theirs.
      if (item?.tokens && policy.isUsable(item.tokens)) return { tokens: item.tokens, source: "shared" };
      if (this.#now() >= deadline) throw new TokenRefreshPendingError();
      await this.#sleep(delay / 2 + this.#random() * (delay / 2));
      delay = Math.min(delay * 2, this.#poll.max);
      try {
        item = await this.#store.read(key);
      } catch (error) {
        return this.#degraded(error, policy);
      }
    }
  };

  async #refreshUnderLease(
    key: string,
    policy: RefreshPolicy,
    current: TokenSet | undefined,
    refreshedMeanwhile: (stored: StoredTokens | undefined) => boolean,
    abandoned: boolean,
  ): Promise<CachedTokens> {
    // RFC 9700 2.2.2: re-read after winning; someone may have refreshed between our read and our lease.
    let item: StoredTokens | undefined;
    try {
      item = await this.#store.read(key);
    } catch (error) {
      return this.#degraded(error, policy);
    }
    if (item?.tokens && (policy.isFresh(item.tokens) || refreshedMeanwhile(item))) {
      await this.#release(key);
      return { tokens: item.tokens, source: "shared" };
    }
    // A cooldown or an open breaker written between our read and our lease holds for us too: one
    // refusal must not cost the upstream a second call from the instance that won the lease.
    let held: CachedTokens | undefined;
    try {
      held = this.#heldBack(item, policy);
    } catch (error) {
      await this.#release(key);
      throw error;
    }
    if (held) {
      await this.#release(key);
      return held;
    }
    let base = item?.tokens ?? current;
    // The previous holder never stored nor released: its refresh may have reached the upstream and
    // rotated the refresh token we hold. Replaying it would trip reuse detection and revoke the
    // family (RFC 9700 4.14.2), so treat it as spent: a full exchange instead.
    const spent = abandoned && base?.refreshToken !== undefined;
    if (spent && base) {
      countMetric(METRIC.leaseTakenOver);
      logger.warn(
        "took over an abandoned refresh lease; full exchange instead of replaying its refresh token",
        {
          cacheKey: key,
        },
      );
      base = withoutRefreshToken(base);
    }
    let tokens: TokenSet;
    try {
      // The health came with the item just read under the lease: no second read for the breaker.
      tokens = await policy.refresh(base, {
        health: item?.health,
        ...(spent ? { abandonedLease: true } : {}),
      });
    } catch (error) {
      // Only an upstream that asked to back off (429/503 Retry-After) cools every instance down.
      const retryAfter = error instanceof UpstreamUnavailableError ? error.retryAfterSeconds : undefined;
      // Capped, plus up to a second of jitter so instances do not all return at the same instant.
      const cooldownUntil =
        retryAfter === undefined
          ? undefined
          : this.#now() +
            Math.min(retryAfter * 1000, this.#maxCooldownMs) +
            Math.floor(this.#random() * 1000);
      await this.#release(key, {
        cooldownUntil,
        dropRefreshToken: spent || policy.refreshTokenSpent(),
      });
      // A token inside its skew is still good: every instance that fails a refresh serves it.
      if (item?.tokens && policy.isUsable(item.tokens)) return { tokens: item.tokens, source: "shared" };
      throw error;
    }
    if (tokens === item?.tokens) {
      await this.#release(key);
      return { tokens, source: "shared" };
    }
    try {
      const saved = await this.#store.save(key, tokens, this.#owner, item?.version ?? 0);
      if (!saved) {
        // Our lease expired and another instance took over: theirs is the stored chain; ours is
        // still a valid access token for this caller.
        countMetric(METRIC.leaseLost);
        logger.warn("refresh lease lost before the token was stored", { cacheKey: key });
      }
    } catch (error) {
      this.#sharedError(error);
    }
    return { tokens, source: "upstream" };
  }

  /**
   * The item says not to call the upstream now (open breaker, cooldown): the stored token while it
   * is usable, else the problem with Retry-After. Undefined when a refresh may go ahead.
   */
  #heldBack(item: StoredTokens | undefined, policy: RefreshPolicy): CachedTokens | undefined {
    const now = this.#now();
    const breakerOpen = item !== undefined && rejectsNow(item.health, policy.secretVersion(), now);
    const coolingDown = item?.cooldownUntil !== undefined && item.cooldownUntil > now;
    if (!breakerOpen && !coolingDown) return undefined;
    if (item?.tokens && policy.isUsable(item.tokens)) return { tokens: item.tokens, source: "shared" };
    if (breakerOpen) throw breakerOpenError(item.health, now);
    throw cooldownError((item?.cooldownUntil ?? now) - now);
  }

  /** The configured lease, but never past the end of this invocation (STANDARDS: lease expiry). */
  #leaseDuration(): number {
    const remaining = remainingInvocationMs();
    return remaining === undefined ? this.#leaseMs : Math.max(1000, Math.min(this.#leaseMs, remaining));
  }

  async #release(
    key: string,
    options: { cooldownUntil?: number | undefined; dropRefreshToken?: boolean } = {},
  ) {
    const { cooldownUntil, dropRefreshToken = false } = options;
    try {
      await this.#store.releaseLease(key, this.#owner, {
        ...(cooldownUntil === undefined ? {} : { cooldownUntil }),
        dropRefreshToken,
      });
    } catch (error) {
      this.#sharedError(error); // the lease expires on its own
    }
  }

  /**
   * DynamoDB is failing: serve through the upstream. A full exchange, never a refresh: another
   * instance may be refreshing the same refresh token, and reuse would revoke the chain.
   */
  async #degraded(error: unknown, policy: RefreshPolicy): Promise<CachedTokens> {
    this.#sharedError(error);
    // The table is failing: no health read either (its breaker cannot be consulted meanwhile).
    return { tokens: await policy.refresh(undefined, { health: undefined }), source: "upstream" };
  }

  #sharedError(error: unknown) {
    countMetric(METRIC.sharedCacheError);
    logger.warn("shared token cache unavailable; serving without it", {
      errorName: (error as Error)?.name,
      table: this.#store.tableName,
    });
  }
}

function cooldownError(remainingMs: number): UpstreamUnavailableError {
  const error = new UpstreamUnavailableError("The upstream asked the broker to back off; retry later.");
  error.retryAfterSeconds = Math.max(1, Math.ceil(remainingMs / 1000));
  return error;
}

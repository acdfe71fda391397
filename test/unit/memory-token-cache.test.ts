import { describe, expect, it } from "vitest";
import { MemoryTokenCache } from "../../lib/cache/memory-token-cache.ts";
import type { RefreshPolicy } from "../../lib/cache/token-cache.ts";
import type { TokenSet } from "../../lib/schemes/scheme.ts";

const token = (expiresAt: number, accessToken = `t${expiresAt}`): TokenSet => ({
  accessToken,
  expiresAt,
  obtainedAt: 0,
  secretVersion: "v1",
});

function policy(now: { t: number }, produce: () => Promise<TokenSet>) {
  let calls = 0;
  const p: RefreshPolicy & { calls: () => number } = {
    isFresh: (t) => t.expiresAt - 100 > now.t,
    isUsable: (t) => t.expiresAt > now.t,
    secretVersion: () => "v1",
    refreshTokenSpent: () => false,
    refresh: () => {
      calls++;
      return produce();
    },
    calls: () => calls,
  };
  return p;
}

describe("MemoryTokenCache", () => {
  it("one refresh for 500 concurrent requests; then served from memory", async () => {
    const now = { t: 0 };
    const cache = new MemoryTokenCache();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const p = policy(now, async () => {
      await gate;
      return token(1000);
    });
    const all = Promise.all(Array.from({ length: 500 }, () => cache.get("k", p)));
    release();
    const results = await all;
    expect(p.calls()).toBe(1);
    expect(new Set(results.map((r) => r.tokens.accessToken))).toEqual(new Set(["t1000"]));
    expect(await cache.get("k", p)).toMatchObject({ source: "memory" });
    now.t = 950; // inside the skew: refresh
    await cache.get("k", p);
    expect(p.calls()).toBe(2);
  });

  it("serves a still-usable token when the refresh fails, and fails when none is left", async () => {
    const now = { t: 0 };
    const cache = new MemoryTokenCache();
    await cache.get(
      "k",
      policy(now, async () => token(1000)),
    );
    now.t = 950;
    const failing = policy(now, async () => {
      throw new Error("upstream down");
    });
    expect(await cache.get("k", failing)).toMatchObject({ tokens: { expiresAt: 1000 }, source: "memory" });
    now.t = 1000;
    await expect(cache.get("k", failing)).rejects.toThrow("upstream down");
  });

  it("passes the current token to refresh (for its refresh token) and retries after a failure", async () => {
    const now = { t: 0 };
    const cache = new MemoryTokenCache();
    await cache.get(
      "k",
      policy(now, async () => token(100, "old")),
    );
    now.t = 200;
    const seen: (TokenSet | undefined)[] = [];
    const p: RefreshPolicy = {
      isFresh: (t) => t.expiresAt > now.t,
      isUsable: (t) => t.expiresAt > now.t,
      secretVersion: () => "v1",
      refreshTokenSpent: () => false,
      refresh: async (current) => {
        seen.push(current);
        if (seen.length === 1) throw new Error("once");
        return token(300, "new");
      },
    };
    await expect(cache.get("k", p)).rejects.toThrow("once");
    expect((await cache.get("k", p)).tokens.accessToken).toBe("new");
    expect(seen.map((s) => s?.accessToken)).toEqual(["old", "old"]);
  });

  it("evicts the least recently used entry beyond maxEntries", async () => {
    const now = { t: 0 };
    const cache = new MemoryTokenCache({ maxEntries: 2 });
    const p = policy(now, async () => token(1000));
    await cache.get("a", p);
    await cache.get("b", p);
    await cache.get("a", p); // a is now most recent
    await cache.get("c", p); // evicts b
    expect(p.calls()).toBe(3);
    await cache.get("a", p);
    expect(p.calls()).toBe(3);
    await cache.get("b", p);
    expect(p.calls()).toBe(4);
  });
});

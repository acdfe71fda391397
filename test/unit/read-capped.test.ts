import { describe, expect, it } from "vitest";
import { readCapped } from "../../lib/upstream/read-capped.ts";

class TooLarge extends Error {}

/** A streamed body (no Content-Length) of `chunks` chunks of `size` bytes; counts what was pulled. */
function streamed(chunks: number, size: number) {
  const state = { pulled: 0, cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (state.pulled === chunks) return controller.close();
      state.pulled++;
      controller.enqueue(new Uint8Array(size).fill(97));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { response: new Response(body), state };
}

describe("readCapped", () => {
  it("returns a body within the cap, streamed or declared", async () => {
    expect((await readCapped(streamed(4, 10).response, 40, () => new TooLarge())).toString()).toBe(
      "a".repeat(40),
    );
    expect((await readCapped(new Response("hello"), 5, () => new TooLarge())).toString()).toBe("hello");
    expect(await readCapped(new Response(null), 5, () => new TooLarge())).toHaveLength(0);
  });

  it("refuses a declared Content-Length over the cap without reading the body", async () => {
    const { response, state } = streamed(1_000, 1024);
    const declared = new Response(response.body, { headers: { "content-length": String(1_000 * 1024) } });
    await expect(readCapped(declared, 1024, () => new TooLarge())).rejects.toBeInstanceOf(TooLarge);
    expect(state.pulled).toBeLessThanOrEqual(1);
    expect(state.cancelled).toBe(true);
  });

  it("stops reading a streamed body as soon as it passes the cap, and cancels it", async () => {
    const { response, state } = streamed(1_000_000, 1024);
    await expect(readCapped(response, 4096, () => new TooLarge())).rejects.toBeInstanceOf(TooLarge);
    expect(state.pulled).toBeLessThan(10);
    expect(state.cancelled).toBe(true);
  });
});

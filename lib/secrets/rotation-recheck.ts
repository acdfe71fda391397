/**
 * How often a connection whose credentials were rejected may force a re-read of its secret (a
 * rotation would explain the rejection). Per process by design: it bounds this container's reads
 * of Secrets Manager, like the secret cache it bypasses; while the credentials stay dead, every
 * request would otherwise land here.
 */
export class RotationRecheck {
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #last = new Map<string, number>();

  constructor(options: { intervalMs: number; now: () => number }) {
    this.#intervalMs = options.intervalMs;
    this.#now = options.now;
  }

  /** Whether the connection may re-read its secret now; if so, the interval starts again. */
  claim(connection: string): boolean {
    const last = this.#last.get(connection) ?? Number.NEGATIVE_INFINITY;
    if (this.#now() - last < this.#intervalMs) return false;
    this.#last.set(connection, this.#now());
    return true;
  }
}

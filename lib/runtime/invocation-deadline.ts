import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The current Lambda invocation's deadline (epoch ms), visible to everything the invocation runs
 * without threading a Context through the broker: leases and waits are bounded by it, so a
 * function killed at its timeout never holds a lease longer than it lives.
 */
const storage = new AsyncLocalStorage<number>();

export function runWithDeadline<T>(deadline: number | undefined, fn: () => T): T {
  return deadline === undefined ? fn() : storage.run(deadline, fn);
}

/** Milliseconds left in the current invocation, or undefined outside one (tests, local tools). */
export function remainingInvocationMs(): number | undefined {
  const deadline = storage.getStore();
  return deadline === undefined ? undefined : deadline - Date.now();
}

/** From a Lambda context; contexts without getRemainingTimeInMillis (hand-made in tests) get none. */
export function invocationDeadline(context: { getRemainingTimeInMillis?: () => number }): number | undefined {
  return typeof context.getRemainingTimeInMillis === "function"
    ? Date.now() + context.getRemainingTimeInMillis()
    : undefined;
}

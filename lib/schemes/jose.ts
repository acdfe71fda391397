/**
 * jose for signing, loaded on the first JWT a process signs (a chunk of its own in the deployed
 * bundle): a function that only serves exchanged tokens with a shared secret never reads it, and
 * the one that mints pays for it on its first request rather than in every cold start's init.
 */
let loaded: Promise<typeof import("./jose-exports.ts")> | undefined;

export function jose(): Promise<typeof import("./jose-exports.ts")> {
  return (loaded ??= import("./jose-exports.ts"));
}

import type * as Deferred from "../runtime/deferred.ts";
import type { ExchangingScheme, SchemeDefinition } from "./scheme.ts";

type DeferredModule = typeof Deferred;

/**
 * An exchanging scheme whose code is read with the shared cache's chunk (lib/runtime/deferred.ts),
 * not at init: an exchanged connection's first request loads that chunk anyway (its token lives
 * in the table), and a process that only mints never reads either. `ready()` loads it; the broker
 * awaits it before the cache can hand back a token to render.
 */
export function deferredScheme<N extends string, C>(
  name: N,
  pick: (module: DeferredModule) => SchemeDefinition<C>,
): { readonly name: N; create(config: C): ExchangingScheme } {
  return {
    name,
    create(config) {
      let real: ExchangingScheme | undefined;
      let loading: Promise<ExchangingScheme> | undefined;
      const load = () =>
        (loading ??= import("../runtime/deferred.ts").then((m) => {
          real = pick(m).create(config) as ExchangingScheme;
          return real;
        }));
      return {
        kind: "exchanged",
        ready: async () => void (await load()),
        obtain: async (context, current) => (await load()).obtain(context, current),
        headers(tokens, secret) {
          if (!real) throw new Error(`The ${name} scheme was used before ready()`);
          return real.headers(tokens, secret);
        },
      };
    },
  };
}

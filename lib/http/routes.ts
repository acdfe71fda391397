/**
 * The broker's HTTP routes, in API Gateway route-key syntax. The CDK stack creates exactly these
 * routes and the local gateway matches them the same way, so local and deployed behave alike.
 */
export const ROUTES = {
  health: "GET /health",
  listConnections: "GET /v1/connections",
  token: "POST /v1/connections/{name}/token",
  /** Proxy mode: any method; `{path+}` is the rest of the path (API Gateway's greedy parameter). */
  proxy: "ANY /v1/connections/{name}/proxy/{path+}",
} as const;

export type RouteKey = (typeof ROUTES)[keyof typeof ROUTES];

/** Routes that need no caller authentication. */
export const PUBLIC_ROUTES: readonly RouteKey[] = [ROUTES.health];

const COMPILED = Object.values(ROUTES).map((routeKey) => {
  const [method, template] = routeKey.split(" ") as [string, string];
  const names: string[] = [];
  const source = template.replace(/\{(\w+)(\+?)\}/g, (_, name: string, greedy: string) => {
    names.push(name);
    return greedy ? "(.+)" : "([^/]+)";
  });
  return { routeKey, method, pattern: new RegExp(`^${source}$`), names };
});

/** Methods some route accepts on this path (for 405 Allow). */
export function allowedMethods(path: string): string[] {
  return COMPILED.filter((route) => route.pattern.test(path) && route.method !== "ANY").map(
    (route) => route.method,
  );
}

export interface RouteMatch {
  routeKey: RouteKey | "$default";
  pathParameters?: Record<string, string>;
}

/**
 * Matches like API Gateway HTTP APIs: exact method (or ANY), `{param}` matches one path segment
 * (no `/`), `{param+}` the rest of the path, and the captured value is percent-decoded. Anything
 * else is `$default`. OPTIONS never reaches ANY routes: preflights are answered by CORS.
 */
export function matchRoute(method: string, path: string): RouteMatch {
  for (const { routeKey, method: routeMethod, pattern, names } of COMPILED) {
    if (routeMethod === "ANY" ? method === "OPTIONS" : routeMethod !== method) continue;
    const match = pattern.exec(path);
    if (!match) continue;
    if (names.length === 0) return { routeKey };
    const pathParameters: Record<string, string> = {};
    try {
      names.forEach((name, i) => {
        pathParameters[name] = decodeURIComponent(match[i + 1] as string);
      });
    } catch {
      return { routeKey: "$default" };
    }
    return { routeKey, pathParameters };
  }
  return { routeKey: "$default" };
}

import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { isAllowed } from "../../lib/auth/access-policy.ts";
import { verifiedCaller } from "../../lib/auth/caller.ts";
import { cors } from "../../lib/http/middleware/cors.ts";
import type { HttpResponse } from "../../lib/http/responses.ts";
import { allowedMethods, matchRoute, ROUTES } from "../../lib/http/routes.ts";
import { parseProxyTarget, upstreamTargetFor } from "../../lib/proxy/proxy-path.ts";
import { matchRule, pathMatches, type ProxySettings } from "../../lib/proxy/proxy-rules.ts";

/**
 * The pure rules every request at the edge passes: proxy path checks, route matching, access
 * policies and CORS. Each runs here without a server, so a change to one is judged on its own.
 */
describe("proxy path checks (lib/proxy/proxy-path.ts)", () => {
  const refused = [
    "..",
    "a/../b",
    "a/./b",
    "a/%2e%2e/b",
    "a/%2E/b",
    "a/..;/b",
    "a/.;x/b",
    "a/..%3B/b",
    "a/%2e%2e;v=1/b",
    "a/%252e%252e/b",
    "a%2fb",
    "a%5cb",
    "a\\b",
    "a//b",
    "http://evil.example.com",
    "a/b%00",
    "a/%0d%0a",
    "a b",
    "a/é",
  ];
  it.each(refused)("refuses %s", (path) => {
    expect(() => parseProxyTarget(path, "")).toThrowError(/proxy path was refused/);
  });

  it("refuses an invalid percent-encoding, an over-long path or query, controls in the query", () => {
    expect(() => parseProxyTarget("a%zz", "")).toThrow();
    expect(() => parseProxyTarget("a/".repeat(1100), "")).toThrow(/longer than/);
    expect(() => parseProxyTarget("a", "q".repeat(5000))).toThrow(/query is longer/);
    expect(() => parseProxyTarget("a", "x=%0a")).toThrow(/control character/);
  });

  it("keeps the bytes the caller sent: decoded segments for matching, raw path and query to forward", () => {
    const target = parseProxyTarget("v1/it%65ms/..foo/a;b=1", "sig=a'b\"c&x=%7E");
    expect(target.segments).toEqual(["v1", "items", "..foo", "a;b=1"]);
    expect(upstreamTargetFor("https://api.example.com/base/", target)).toEqual({
      origin: new URL("https://api.example.com"),
      requestTarget: "/base/v1/it%65ms/..foo/a;b=1?sig=a'b\"c&x=%7E",
    });
  });

  it("matches rules on decoded segments: * one segment, a final ** one or more", () => {
    expect(pathMatches("/v1/*", ["v1", "x"])).toBe(true);
    expect(pathMatches("/v1/*", ["v1", "x", "y"])).toBe(false);
    expect(pathMatches("/v1/**", ["v1"])).toBe(false);
    expect(pathMatches("/v1/**", ["v1", "x", "y"])).toBe(true);
    const settings = { allow: [{ methods: ["GET"], paths: ["/v1/**"] }] } as unknown as ProxySettings;
    expect(matchRule(settings, "GET", ["v1", "a"])).toBe(0);
    expect(matchRule(settings, "POST", ["v1", "a"])).toBe(-1);
  });
});

describe("routes (lib/http/routes.ts)", () => {
  it("matches like API Gateway: exact method or ANY, one segment per {param}, the rest for {path+}", () => {
    expect(matchRoute("POST", "/v1/connections/demo/token")).toEqual({
      routeKey: ROUTES.token,
      pathParameters: { name: "demo" },
    });
    expect(matchRoute("PATCH", "/v1/connections/demo/proxy/a/b")).toEqual({
      routeKey: ROUTES.proxy,
      pathParameters: { name: "demo", path: "a/b" },
    });
    expect(matchRoute("OPTIONS", "/v1/connections/demo/proxy/a").routeKey).toBe("$default");
    expect(matchRoute("GET", "/v1/connections/a/b/token").routeKey).toBe("$default");
    expect(matchRoute("GET", "/v1/connections/%zz/token").routeKey).toBe("$default");
    expect(allowedMethods("/v1/connections/demo/token")).toEqual(["POST"]);
  });
});

describe("access policies (lib/auth/access-policy.ts)", () => {
  const caller = verifiedCaller(
    { sub: "u1", scope: "broker/token read", "cognito:groups": "[admins ops]", tenant: "[acme]" },
    null,
  );
  it("no rules: nobody; a rule matches when every condition it sets holds", () => {
    expect(isAllowed(undefined, caller)).toBe(false);
    expect(isAllowed([], caller)).toBe(false);
    expect(isAllowed([{ scopes: ["broker/token", "read"] }], caller)).toBe(true);
    expect(isAllowed([{ scopes: ["broker/token", "write"] }], caller)).toBe(false);
    expect(isAllowed([{ groups: ["ops"], subjects: ["u1"] }], caller)).toBe(true);
    expect(isAllowed([{ groups: ["ops"], subjects: ["u2"] }], caller)).toBe(false);
    expect(isAllowed([{ subjects: ["u2"] }, { groups: ["admins"] }], caller)).toBe(true);
  });

  it("a claim a user controls is compared whole, never split like a list claim", () => {
    expect(isAllowed([{ claims: { tenant: ["acme"] } }], caller)).toBe(false);
    expect(isAllowed([{ claims: { tenant: ["[acme]"] } }], caller)).toBe(true);
  });
});

describe("CORS (lib/http/middleware/cors.ts)", () => {
  const ALLOWED = "https://app.example.com";
  const run = async (origin: string | undefined, method = "POST") => {
    const middleware = cors([ALLOWED]);
    const request = {
      event: {
        headers: origin === undefined ? {} : { origin },
        requestContext: { http: { method }, requestId: "r" },
      } as unknown as APIGatewayProxyEventV2,
      context: { awsRequestId: "r" } as Context,
      response: undefined as HttpResponse | undefined,
      error: undefined,
      internal: {},
    };
    const early = await middleware.before?.(request as never);
    if (early) return early as HttpResponse;
    request.response = { statusCode: 200, headers: {}, body: "{}" };
    await middleware.after?.(request as never);
    return request.response;
  };

  it("grants the exact origin only, never * or a reflected one, always Vary: Origin", async () => {
    const ok = await run(ALLOWED);
    expect(ok.headers["access-control-allow-origin"]).toBe(ALLOWED);
    expect(ok.headers.vary).toBe("Origin");
    for (const origin of [
      "https://app.example.com.evil.io",
      "https://evil.example.com",
      "null",
      "http://app.example.com",
      "https://APP.example.com",
    ]) {
      const refused = await run(origin);
      expect(refused.statusCode, origin).toBe(403);
      expect(refused.headers["access-control-allow-origin"]).toBeUndefined();
      expect(refused.headers.vary).toBe("Origin");
    }
    const noOrigin = await run(undefined);
    expect(noOrigin.statusCode).toBe(200);
    expect(noOrigin.headers.vary).toBe("Origin");
    expect(noOrigin.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("answers an allowed preflight itself, and refuses a preflight without an origin", async () => {
    const preflight = await run(ALLOWED, "OPTIONS");
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers["access-control-allow-methods"]).toBe("GET, POST");
    expect((await run(undefined, "OPTIONS")).statusCode).toBe(403);
  });
});

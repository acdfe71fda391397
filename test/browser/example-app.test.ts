import { existsSync } from "node:fs";
import type { Server } from "node:http";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokenHandler } from "../../functions/token/handler.ts";
import { Broker } from "../../lib/broker.ts";
import { parseConfig } from "../../lib/config/broker-config.ts";
import { serveLocally, serverUrl } from "../../lib/http/local-gateway.ts";
import { localAuthFromEnv } from "../../lib/local/local-auth.ts";
import { HttpClient } from "../../lib/upstream/http-client.ts";
import { startExampleWeb } from "../../examples/web/serve.ts";
import { startDemoUpstreams } from "../helpers/demo-upstreams.ts";
import { sendJson, startServer, type TestServer } from "../helpers/http-server.ts";
import { MemorySecrets } from "../helpers/secrets.ts";
import { readSettings } from "../../lib/runtime/settings.ts";

// Page-side globals, used only inside page.evaluate (this project's tsconfig has no DOM library).
declare const window: object;
declare const location: { search: string };
declare const localStorage: Record<string, string>;
declare const sessionStorage: Record<string, string>;
declare const document: { cookie: string };
declare const indexedDB: { databases(): Promise<{ name?: string }[]> };
declare const caches: { keys(): Promise<string[]> };

/**
 * The example page in a real headless Chromium (Debian's package, driven by playwright-core),
 * against the real handler behind the local gateway (dev issuer), real upstreams on 127.0.0.1.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SECRETS = {
  "broker/local/demo-signed": {
    apiKey: "browser-api-key-01",
    jwtKey: "browser-jwt-key-0123456789abcdef-0123456789",
  },
  "broker/local/demo-ledger": { apiKeyId: "browser-ledger-id", apiKeySecret: "browser-ledger-secret-77" },
  "broker/local/demo-oauth": { clientId: "browser-client", clientSecret: "browser-client-secret" },
  "broker/local/demo-static": { token: "browser-static-token-5e5e" },
  "broker/local/busy": { clientId: "c", clientSecret: "s" },
};

let page: Page;
let foreign: Page;
let browser: Browser;
let context: BrowserContext;
let broker: Server;
let busyUpstream: TestServer;
let refusingUpstream: TestServer;
let closers: (() => Promise<unknown>)[] = [];
let ledgerApi = "";
let brokerUrl = "";
const brokerHits = { token: 0, preflightRefused: 0 };
const issued: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install Debian's package (apt-get update && apt-get install -y chromium) or set CHROMIUM_PATH. .ci/run installs it.`,
    );
  }
  const web = await startExampleWeb();
  const elsewhere = await startExampleWeb(); // same page, an origin the broker does not allow
  const upstreams = await startDemoUpstreams({ secrets: SECRETS, corsOrigins: [web.url] });
  ledgerApi = upstreams.ledger.url;
  busyUpstream = await startServer((_req, res) =>
    sendJson(res, 503, { error: "busy" }, { "retry-after": "1" }),
  );
  // An upstream whose own answers look like API Gateway's and like the broker's problems.
  refusingUpstream = await startServer((req, res) =>
    req.path.startsWith("/v1/problem")
      ? sendJson(
          res,
          401,
          { type: "urn:token-broker:problem:unauthorized", status: 401 },
          {
            "content-type": "application/problem+json",
          },
        )
      : sendJson(res, req.path.startsWith("/v1/forbidden") ? 403 : 401, {
          message: req.path.startsWith("/v1/forbidden") ? "Forbidden" : "Unauthorized",
        }),
  );
  const access = [{ scopes: ["broker/token"] }];
  const brokerCore = new Broker({
    config: parseConfig({
      connections: {
        "demo-signed": {
          preset: "x-signature",
          secret: "broker/local/demo-signed",
          access,
          delivery: "both",
          proxy: { baseUrl: upstreams.signatureApi.url, allow: [{ methods: ["GET"], paths: ["/v1/**"] }] },
        },
        "demo-ledger": {
          preset: "ledger-enterprise",
          secret: "broker/local/demo-ledger",
          baseUrl: upstreams.ledger.url,
          workspace: "demo",
          access,
          proxy: { baseUrl: upstreams.ledger.url, allow: [{ methods: ["GET"], paths: ["/v1/accounts"] }] },
        },
        refusing: {
          preset: "jet-admin",
          secret: "broker/local/demo-static",
          access,
          proxy: {
            baseUrl: refusingUpstream.url,
            allow: [{ methods: ["GET", "POST"], paths: ["/v1/**"] }],
          },
        },
        busy: {
          scheme: "oauth2-client-credentials",
          secret: "broker/local/busy",
          tokenUrl: `${busyUpstream.url}/token`,
          access,
          delivery: "headers",
        },
      },
    }),
    secrets: new MemorySecrets(SECRETS),
    http: new HttpClient({ maxAttempts: 1 }),
  });
  const handler = createTokenHandler(() => brokerCore, readSettings({ BROKER_CORS_ORIGINS: web.url }));
  const counted = async (event: APIGatewayProxyEventV2, ctx: Context) => {
    const response = await handler(event, ctx);
    if (event.routeKey.endsWith("/token")) {
      brokerHits.token++;
      if (response.statusCode === 200)
        issued.push(
          ...Object.values((JSON.parse(response.body) as { headers: Record<string, string> }).headers),
        );
    }
    if (response.statusCode === 403 && response.body.includes("origin-not-allowed"))
      brokerHits.preflightRefused++;
    return response;
  };
  const auth = await localAuthFromEnv({ BROKER_LOCAL_AUTH: "dev" });
  if (auth.mode !== "dev") throw new Error("dev auth expected");
  broker = await serveLocally(counted as never, 0, {
    authorizer: auth.authorizer,
    devToken: auth.devToken,
    corsOrigins: [web.url],
  });
  brokerUrl = serverUrl(broker);

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
    ],
  });
  context = await browser.newContext();
  const query = `?broker=${encodeURIComponent(brokerUrl)}&signatureApi=${encodeURIComponent(upstreams.signatureApi.url)}`;
  page = await context.newPage();
  await page.goto(`${web.url}/${query}`);
  await page.waitForFunction(() => "exampleApp" in window);
  foreign = await context.newPage();
  await foreign.goto(`${elsewhere.url}/${query}`);
  await foreign.waitForFunction(() => "exampleApp" in window);
  closers = [
    web.close,
    elsewhere.close,
    upstreams.close,
    busyUpstream.close,
    refusingUpstream.close,
    () => new Promise<void>((r) => broker.close(() => r())),
  ];
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(closers.map((close) => close()));
});

describe("the example app in Chromium", () => {
  it("signs in with the dev issuer and lists the connections it may use", async () => {
    await page.click("#sign-in");
    await expect.poll(() => page.textContent("#output")).toContain("Signed in.");
    await page.click("#list");
    await expect.poll(() => page.textContent("#output")).toContain("demo-ledger (proxy)");
    expect(await page.textContent("#output")).toContain("demo-signed (both)");
  });

  it("headers mode: an x-signature from the broker is accepted by the CORS-enabled upstream", async () => {
    await page.click("#headers-mode");
    await expect.poll(() => page.textContent("#output")).toContain('"status": 200');
    expect(await page.textContent("#output")).toContain('"path": "/v1/hello"');
  });

  it("proxy mode: the Ledger-shaped API without CORS answers through the broker", async () => {
    await page.click("#proxy-mode");
    await expect.poll(() => page.textContent("#output")).toContain("acc-2");
    // Without the proxy the page cannot call it at all: it sends no CORS headers.
    const direct = await page.evaluate(
      async (url) =>
        fetch(`${url}/v1/accounts`).then(
          (r) => r.status,
          (e: Error) => e.name,
        ),
      ledgerApi,
    );
    expect(direct).toBe("TypeError");
  });

  it("20 concurrent client calls for one connection make one broker request", async () => {
    const before = brokerHits.token;
    const signatures = await page.evaluate(async () => {
      const { client } = (
        window as unknown as {
          exampleApp: {
            client: { clear(): void; credential(n: string): Promise<{ headers: Record<string, string> }> };
          };
        }
      ).exampleApp;
      client.clear();
      const all = await Promise.all(Array.from({ length: 20 }, () => client.credential("demo-signed")));
      return [...new Set(all.map((c) => c.headers["x-signature"]))];
    });
    expect(signatures).toHaveLength(1);
    expect(brokerHits.token - before).toBe(1);
  });

  it("Retry-After is readable by the page (exposed by CORS) and carried by the typed error", async () => {
    const result = await page.evaluate(async () => {
      const app = (window as unknown as { exampleApp: { client: unknown; describe(e: unknown): unknown } })
        .exampleApp;
      const token = (await (
        await fetch(`${new URLSearchParams(location.search).get("broker")}/local/dev-token`, {
          method: "POST",
        })
      ).json()) as { accessToken: string };
      const raw = await fetch(
        `${new URLSearchParams(location.search).get("broker")}/v1/connections/busy/token`,
        {
          method: "POST",
          headers: { authorization: `Bearer ${token.accessToken}` },
        },
      );
      const { BrokerClient } = app as unknown as {
        BrokerClient: typeof import("../../client/src/broker-client.ts").BrokerClient;
      };
      const impatient = new BrokerClient({
        baseUrl: new URLSearchParams(location.search).get("broker") ?? "",
        getAccessToken: async () => token.accessToken,
        maxRetries: 0,
      });
      const error = await impatient.credential("busy").catch((e: unknown) => e);
      return { status: raw.status, retryAfter: raw.headers.get("retry-after"), error: app.describe(error) };
    });
    expect(result).toMatchObject({
      status: 503,
      retryAfter: "1",
      error: { problem: "urn:token-broker:problem:upstream-unavailable", status: 503, retryAfter: 1 },
    });
  });

  it("a stale caller token: the broker's 401 is readable, the client renews it once and succeeds", async () => {
    const result = await page.evaluate(async () => {
      const app = (
        window as unknown as {
          exampleApp: {
            setCallerToken(t: string): void;
            client: { clear(): void };
            listConnections(): Promise<string[]>;
          };
        }
      ).exampleApp;
      app.setCallerToken("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c3RhbGU");
      app.client.clear();
      return app.listConnections();
    });
    expect(result).toContain("demo-signed (both)");
  });

  it("proxied upstream 401/403/problem+json reach the page untouched: no renewal, no second POST", async () => {
    const before = refusingUpstream.requests.length;
    const result = await page.evaluate(async () => {
      const app = window as unknown as {
        exampleApp: { BrokerClient: typeof import("../../client/src/broker-client.ts").BrokerClient };
      };
      const brokerBase = new URLSearchParams(location.search).get("broker") ?? "";
      const token = (await (await fetch(`${brokerBase}/local/dev-token`, { method: "POST" })).json()) as {
        accessToken: string;
      };
      const renewals: boolean[] = [];
      const client = new app.exampleApp.BrokerClient({
        baseUrl: brokerBase,
        getAccessToken: async ({ forceRefresh }) => {
          renewals.push(forceRefresh);
          return token.accessToken;
        },
      });
      const answers = [];
      for (const [path, method] of [
        ["v1/payments", "POST"],
        ["v1/forbidden", "GET"],
        ["v1/problem", "GET"],
      ] as const) {
        const response = await client.proxy("refusing", path, {
          method,
          body: method === "POST" ? "{}" : null,
        });
        answers.push({
          status: response.status,
          proxied: response.headers.get("x-broker-proxied"),
          body: await response.text(),
        });
      }
      return { answers, renewals };
    });
    expect(result.answers).toEqual([
      { status: 401, proxied: "upstream", body: '{"message":"Unauthorized"}' },
      { status: 403, proxied: "upstream", body: '{"message":"Forbidden"}' },
      {
        status: 401,
        proxied: "upstream",
        body: expect.stringContaining("urn:token-broker:problem:unauthorized"),
      },
    ]);
    expect(result.renewals).toEqual([false, false, false]);
    expect(refusingUpstream.requests.length - before).toBe(3); // each sent once
  });

  it("a page on a foreign origin is refused", async () => {
    const before = brokerHits.preflightRefused;
    // A valid caller token: what is refused is the origin, not the caller.
    const devToken = (
      (await (await fetch(`${brokerUrl}/local/dev-token`, { method: "POST" })).json()) as {
        accessToken: string;
      }
    ).accessToken;
    const outcome = await foreign.evaluate(async (callerToken) => {
      const app = (
        window as unknown as {
          exampleApp: {
            setCallerToken(t: string): void;
            client: { credential(n: string): Promise<unknown> };
            describe(e: unknown): unknown;
          };
        }
      ).exampleApp;
      app.setCallerToken(callerToken);
      return app.client.credential("demo-signed").then(
        () => "served",
        (e: unknown) => app.describe(e),
      );
    }, devToken);
    expect(outcome).toMatchObject({ error: "TypeError" }); // the browser blocked it: no CORS grant
    expect(brokerHits.preflightRefused).toBeGreaterThan(before);
  });

  it("no credential is left in any browser storage or cookie", async () => {
    expect(issued.length).toBeGreaterThan(0);
    for (const p of [page, foreign]) {
      const stored = await p.evaluate(async () => ({
        local: JSON.stringify({ ...localStorage }),
        session: JSON.stringify({ ...sessionStorage }),
        cookie: document.cookie,
        indexedDb: (await indexedDB.databases()).map((d) => d.name),
        caches: await caches.keys(),
      }));
      expect(stored).toEqual({ local: "{}", session: "{}", cookie: "", indexedDb: [], caches: [] });
    }
    expect(await context.cookies()).toEqual([]);
  });
});

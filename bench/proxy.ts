import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { createTokenHandler } from "../functions/token/handler.ts";
import { Broker } from "../lib/broker.ts";
import { parseConfig } from "../lib/config/broker-config.ts";
import { CachedSecretSource } from "../lib/secrets/cached-secret-source.ts";
import { localFileSecrets } from "../lib/secrets/local-file-secrets.ts";
import { type Latency, measure, summarize } from "./stats.ts";
import { readSettings } from "../lib/runtime/settings.ts";
import { AUDIT_SINK } from "./fixtures.ts";

export interface ProxyResult {
  requests: number;
  cached: { direct: Latency; proxied: Latency };
  minted: { direct: Latency; proxied: Latency };
}

const context = {
  awsRequestId: "bench",
  functionName: "token",
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

/** A resource API on 127.0.0.1 answering a small JSON body at once (keep-alive, like the proxy's fetch). */
async function resourceServer() {
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"items":[1,2,3]}');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function proxyEvent(name: string): APIGatewayProxyEventV2 {
  const path = `/v1/connections/${name}/proxy/api/items`;
  return {
    version: "2.0",
    routeKey: "ANY /v1/connections/{name}/proxy/{path+}",
    rawPath: path,
    rawQueryString: "page=1",
    headers: { accept: "application/json" },
    pathParameters: { name, path: "api/items" },
    requestContext: {
      http: { method: "GET", path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "bench" },
      requestId: "bench",
      routeKey: "ANY /v1/connections/{name}/proxy/{path+}",
      authorizer: { jwt: { claims: { sub: "bench", scope: "broker/token" }, scopes: ["broker/token"] } },
    } as unknown as APIGatewayProxyEventV2["requestContext"],
    isBase64Encoded: false,
  };
}

/**
 * Proxy overhead, in-process: the token handler serving `GET .../proxy/api/items` against calling
 * the same upstream directly with the same credential headers, sequentially, same run. For a
 * cached-token connection (client credentials, cache hit) and a minted one (an x-signature).
 */
export async function proxyOverhead(
  tokenUrl: string,
  secretsFile: string,
  requests: number,
): Promise<ProxyResult> {
  const upstream = await resourceServer();
  try {
    const proxy = { baseUrl: upstream.url, allow: [{ methods: ["GET"], paths: ["/api/items"] }] };
    const access = [{ scopes: ["broker/token"] }];
    const broker = new Broker({
      config: parseConfig({
        connections: {
          cached: {
            scheme: "oauth2-client-credentials",
            secret: "bench",
            tokenUrl,
            clientAuth: { method: "client_secret_post" },
            access,
            proxy,
            delivery: "both",
          },
          minted: { preset: "x-signature", secret: "signed", access, proxy, delivery: "both" },
        },
      }),
      secrets: new CachedSecretSource(localFileSecrets(secretsFile), { maxAgeMs: 3_600_000 }),
    });
    const handler = createTokenHandler(() => broker, readSettings({ BROKER_AUDIT: AUDIT_SINK }));
    const run = async (name: string) => {
      const event = proxyEvent(name);
      const primed = await handler(event, context);
      if (primed.statusCode !== 200)
        throw new Error(`proxy priming failed: ${primed.statusCode} ${primed.body}`);
      const proxied = summarize(await measure(requests, 1, () => handler(event, context)));
      // The same call without the broker: the credential as the caller would hold it, then fetch.
      const direct = summarize(
        await measure(requests, 1, async () => {
          const { headers } = await broker.getCredential(name);
          const response = await fetch(`${upstream.url}/api/items?page=1`, {
            headers: { accept: "application/json", ...headers },
          });
          await response.arrayBuffer();
        }),
      );
      return { direct, proxied };
    };
    return { requests, cached: await run("cached"), minted: await run("minted") };
  } finally {
    await upstream.close();
  }
}

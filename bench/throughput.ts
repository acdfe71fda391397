import { execFile } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { createTokenHandler } from "../functions/token/handler.ts";
import { Broker } from "../lib/broker.ts";
import { parseConfig } from "../lib/config/broker-config.ts";
import { serveLocally, serverUrl } from "../lib/http/local-gateway.ts";
import { localAuthFromEnv } from "../lib/local/local-auth.ts";
import { CachedSecretSource } from "../lib/secrets/cached-secret-source.ts";
import { localFileSecrets } from "../lib/secrets/local-file-secrets.ts";
import { connections, AUDIT_SINK } from "./fixtures.ts";
import { readSettings } from "../lib/runtime/settings.ts";

export interface LoadReport {
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  errors: number;
  non2xx: number;
}

export interface ThroughputResult {
  connections: number;
  durationSeconds: number;
  broker: LoadReport;
  bareHttpServer: LoadReport;
}

const run = promisify(execFile);

/** autocannon in its own process, so the load generator does not share the server's event loop. */
async function autocannon(
  url: string,
  headers: Record<string, string>,
  connectionsCount: number,
  seconds: number,
): Promise<LoadReport> {
  const args = ["-c", String(connectionsCount), "-d", String(seconds), "-m", "POST", "-j"];
  for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}=${v}`);
  const { stdout } = await run("node_modules/.bin/autocannon", [...args, url], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const r = JSON.parse(stdout);
  return {
    requestsPerSecond: Math.round(r.requests.average),
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
    errors: r.errors,
    non2xx: r.non2xx,
  };
}

/**
 * The local server (the token handler behind the local gateway, with JWT verification) answering
 * cache hits, against a bare node:http server that returns a constant JSON body.
 */
export async function throughput(
  tokenUrl: string,
  secretsFile: string,
  connectionsCount: number,
  seconds: number,
): Promise<ThroughputResult> {
  const broker = new Broker({
    config: parseConfig({ connections: connections(tokenUrl) }),
    secrets: new CachedSecretSource(localFileSecrets(secretsFile), { maxAgeMs: 300_000 }),
  });
  const auth = await localAuthFromEnv({ BROKER_LOCAL_AUTH: "dev" });
  if (auth.mode !== "dev") throw new Error("dev auth expected");
  const server = await serveLocally(
    createTokenHandler(() => broker, readSettings({ BROKER_AUDIT: AUDIT_SINK })),
    0,
    { authorizer: auth.authorizer },
  );
  const url = `${serverUrl(server)}/v1/connections/bench/token`;
  const headers = { authorization: `Bearer ${auth.devToken}` };
  await fetch(url, { method: "POST", headers }); // prime the cache
  const brokerReport = await autocannon(url, headers, connectionsCount, seconds);
  await new Promise<void>((resolve) => server.close(() => resolve()));

  const body = JSON.stringify({
    connection: "bench",
    headers: { Authorization: "Bearer x" },
    expiresAt: new Date().toISOString(),
    expiresIn: 300,
  });
  const bare = createServer((req, res) => {
    req.resume();
    req.on("end", () =>
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }).end(body),
    );
  });
  await new Promise<void>((resolve) => bare.listen(0, "127.0.0.1", resolve));
  const bareReport = await autocannon(
    `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`,
    {},
    connectionsCount,
    seconds,
  );
  await new Promise<void>((resolve) => bare.close(() => resolve()));
  return {
    connections: connectionsCount,
    durationSeconds: seconds,
    broker: brokerReport,
    bareHttpServer: bareReport,
  };
}

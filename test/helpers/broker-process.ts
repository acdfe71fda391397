import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deliveredAsHeaders } from "./delivery.ts";

export interface BrokerProcess {
  url: string;
  child: ChildProcess;
  /** POST /v1/connections/{name}/token; resolves with status, body and elapsed milliseconds. */
  token(name: string): Promise<{ status: number; body: Record<string, unknown>; ms: number }>;
  /** kill -9: no cleanup, no lease release, no answer to the upstream. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

export interface BrokerProcessOptions {
  connections: Record<string, unknown>;
  secrets: Record<string, Record<string, string>>;
  dynamoDbEndpoint: string;
  table: string;
  env?: Record<string, string>;
}

/**
 * A separate `npm start` process (bin/local-server.ts) on a free port, sharing the DynamoDB Local
 * table with its siblings: what several Lambda instances are to each other. Caller authentication
 * is off (BROKER_LOCAL_AUTH=none) because these tests are about the cache, not callers.
 */
export async function startBrokerProcess(options: BrokerProcessOptions): Promise<BrokerProcess> {
  const dir = mkdtempSync(join(tmpdir(), "broker-process-"));
  writeFileSync(join(dir, "secrets.json"), JSON.stringify(options.secrets));
  const child = spawn(process.execPath, ["bin/local-server.ts"], {
    env: {
      ...process.env,
      PORT: "0",
      BROKER_LOCAL_AUTH: "none",
      BROKER_CONFIG: JSON.stringify({ connections: deliveredAsHeaders(options.connections) }),
      BROKER_SECRETS: `file:${join(dir, "secrets.json")}`,
      BROKER_CACHE: `dynamodb:${options.table}`,
      AWS_ENDPOINT_URL_DYNAMODB: options.dynamoDbEndpoint,
      POWERTOOLS_LOG_LEVEL: "ERROR",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match) resolve(match[1] as string);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`broker process exited (${code}): ${out}`)));
  });
  return {
    url,
    child,
    async token(name) {
      const started = performance.now();
      const response = await fetch(`${url}/v1/connections/${name}/token`, { method: "POST" });
      const body = (await response.json()) as Record<string, unknown>;
      return { status: response.status, body, ms: performance.now() - started };
    },
    async kill9() {
      child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

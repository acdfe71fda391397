import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import {
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-dynamodb";
import { ConfigError } from "../errors.ts";
import { boundedAwsClient } from "../runtime/aws-call-limits.ts";

/** The official DynamoDB Local jar, shipped inside the amplify-dynamodb-simulator npm package. */
export function dynamoDbLocalDirectory(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("amplify-dynamodb-simulator/package.json")), "emulator");
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface DynamoDbLocal {
  endpoint: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** A client for DynamoDB Local: dummy credentials, fast failure (tests stop the server on purpose). */
export function localDynamoDbClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    // DynamoDB Local (a JVM on a shared test machine) is slower than the service: more room.
    ...boundedAwsClient({ requestTimeoutMs: 2_000 }),
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
}

/** Starts DynamoDB Local in memory on a free loopback port and waits until it answers. */
export async function startDynamoDbLocal(port?: number): Promise<DynamoDbLocal> {
  const dir = dynamoDbLocalDirectory();
  const chosen = port ?? (await freePort());
  const child = spawn(
    "java",
    [
      `-Djava.library.path=${join(dir, "DynamoDBLocal_lib")}`,
      "-jar",
      join(dir, "DynamoDBLocal.jar"),
      "-inMemory",
      // One database whatever the caller's access key and region (otherwise a process with other
      // credentials silently sees no table), and no telemetry (it also writes a metadata file).
      "-sharedDb",
      "-disableTelemetry",
      "-port",
      String(chosen),
    ],
    // Run outside the work tree: DynamoDB Local writes its files into the current directory.
    { stdio: ["ignore", "ignore", "pipe"], cwd: tmpdir() },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const endpoint = `http://127.0.0.1:${chosen}`;
  const client = localDynamoDbClient(endpoint);
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`DynamoDB Local exited (${child.exitCode}): ${stderr}`);
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch {
      if (Date.now() - started > 30_000) {
        child.kill("SIGKILL");
        throw new Error(`DynamoDB Local did not start within 30 s: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  client.destroy();
  return {
    endpoint,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      }),
  };
}

/**
 * A missing token table is a configuration error, not an outage: in a local run, say so at start
 * (the broker would otherwise degrade every request to its own upstream calls, with a warning each).
 */
export async function assertTokenTableExists(
  client: DynamoDBClient,
  table: string,
  endpoint: string,
): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: table }));
  } catch (error) {
    const missing = error instanceof ResourceNotFoundException;
    throw new ConfigError("BROKER_CACHE", [
      {
        path: "",
        message: missing
          ? `table "${table}" does not exist at ${endpoint}; \`npm run dynamodb:local\` creates it (DynamoDB Local started without -sharedDb keeps tables per access key and region)`
          : `cannot reach the token table "${table}" at ${endpoint} (${(error as Error).name})`,
      },
    ]);
  }
}

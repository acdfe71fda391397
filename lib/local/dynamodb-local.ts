import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-dynamodb";
import { ConfigError } from "../errors.ts";
import { boundedAwsClient } from "../runtime/aws-call-limits.ts";
import { OperatorError } from "./operator-errors.ts";

/** The official DynamoDB Local jar, shipped inside the amplify-dynamodb-simulator npm package. */
export function dynamoDbLocalDirectory(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("amplify-dynamodb-simulator/package.json")), "emulator");
}

/** A loopback port nothing listens on: `port` itself if free (0: any), else EADDRINUSE. */
export function freePort(port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const { port: chosen } = server.address() as { port: number };
      server.close(() => resolve(chosen));
    });
  });
}

/** Binds DynamoDB Local to loopback (its own command line cannot): a single-file Java program. */
const LOOPBACK_LAUNCHER = fileURLToPath(new URL("./java/LoopbackDynamoDbLocal.java", import.meta.url));

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

/**
 * Starts DynamoDB Local in memory on 127.0.0.1 (only) and waits until it answers: on `port`, which
 * must be free (an OperatorError at once otherwise, never a wait), or on any free port.
 */
export async function startDynamoDbLocal(port?: number): Promise<DynamoDbLocal> {
  const dir = dynamoDbLocalDirectory();
  const chosen = await freePort(port).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "EADDRINUSE") throw error;
    throw new OperatorError(
      `port ${port} on 127.0.0.1 is already in use (another DynamoDB Local?)`,
      `stop it, or choose another port: DYNAMODB_PORT=${(port ?? 8000) + 1} npm run dynamodb:local`,
    );
  });
  const child = spawn(
    "java",
    [
      `-Djava.library.path=${join(dir, "DynamoDBLocal_lib")}`,
      "-cp",
      [join(dir, "DynamoDBLocal.jar"), join(dir, "DynamoDBLocal_lib", "*")].join(delimiter),
      LOOPBACK_LAUNCHER,
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
    if (child.exitCode !== null) {
      throw new OperatorError(
        `DynamoDB Local exited at start (code ${child.exitCode}): ${stderr.trim().split("\n").at(-1) ?? ""}`,
        "check that Java 17+ is installed (java -version) and the port is free",
      );
    }
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch {
      if (Date.now() - started > 30_000) {
        child.kill("SIGKILL");
        throw new OperatorError(
          "DynamoDB Local did not answer within 30 s",
          "check that Java 17+ is installed (java -version) and the machine is not overloaded",
        );
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

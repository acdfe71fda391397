#!/usr/bin/env node
/**
 * `npm run broker -- <command> [options]`: operator commands, with the same environment as
 * `npm start`. Arguments are parsed with node:util parseArgs (unknown options are errors); every
 * command takes --help. Secrets are never printed.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

process.env.POWERTOOLS_DEV ??= "true";
process.env.POWERTOOLS_SERVICE_NAME ??= "token-broker";
process.env.POWERTOOLS_LOG_LEVEL ??= "WARN";

interface Command {
  usage: string;
  summary: string;
  options: NonNullable<ParseArgsConfig["options"]>;
  run(values: Record<string, unknown>, positionals: string[]): Promise<void>;
}

/** How the user ran this: from a clone (`npm run broker --`) or installed (`token-broker`, npx). */
const PROGRAM = /bin[\\/]broker\.ts$/.test(process.argv[1] ?? "") ? "npm run broker --" : "token-broker";

const out = (value: unknown) =>
  process.stdout.write(`${typeof value === "string" ? value : JSON.stringify(value, null, 2)}\n`);
/** Errors and usage go to stderr, so that stdout carries only a command's answer. */
const err = (text: string) => process.stderr.write(`${text}\n`);
const help = { help: { type: "boolean", short: "h" } } as const;

const COMMANDS: Record<string, Command> = {
  validate: {
    usage: "validate [config.json]",
    summary:
      "Validate a connections file (default: $BROKER_CONFIG_FILE); print each connection, or every bad field with its path.",
    options: help,
    async run(_values, [file = process.env.BROKER_CONFIG_FILE ?? "examples/broker.config.json"]) {
      const { loadConfigFile } = await import("../lib/config/broker-config.ts");
      const config = loadConfigFile(file);
      out(`${file}: ${config.connections.size} valid connection(s)`);
      for (const c of config.connections.values()) {
        const access = c.access ? `${c.access.length} access rule(s)` : "no access rules: nobody can use it";
        out(
          `  ${c.name}: ${c.scheme}${c.preset ? ` (preset ${c.preset})` : ""}, exposure ${c.exposure}, delivery ${c.delivery}, secret ${c.secret}, ${access}`,
        );
      }
    },
  },
  token: {
    usage: "token <connection> [--show]",
    summary:
      "Obtain a credential as the broker would; print its header names and expiry. --show prints the values (live credentials).",
    options: { ...help, show: { type: "boolean" } },
    async run(values, [name]) {
      if (!name) throw new UsageError("token needs a connection name");
      const settings = (await import("../lib/local/config-env.ts")).localSettings(process.env);
      const { brokerFrom } = await import("../lib/runtime/broker-from-env.ts");
      const credential = await brokerFrom(settings).getCredential(name);
      out({
        connection: name,
        source: credential.source,
        expiresAt: new Date(credential.expiresAt).toISOString(),
        headers: values.show ? credential.headers : Object.keys(credential.headers),
      });
    },
  },
  status: {
    usage: "status [--json] [--table <name>]",
    summary:
      "Each connection's state from the config and the shared table (DynamoDB Local or AWS; --table, else BROKER_CACHE=dynamodb:<table>; region from the environment): token state and expiry, refresh token, lease, cooldown, secret version, health and last outcome. Never a value.",
    options: { ...help, json: { type: "boolean" }, table: { type: "string" } },
    async run(values) {
      const cache = process.env.BROKER_CACHE ?? "";
      const table =
        (values.table as string | undefined) ?? (cache.startsWith("dynamodb:") ? cache.slice(9) : undefined);
      if (!table) throw new UsageError("status needs --table <name> (or BROKER_CACHE=dynamodb:<table>)");
      if (/^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(process.env.AWS_ENDPOINT_URL_DYNAMODB ?? "")) {
        process.env.AWS_REGION ??= "us-east-1";
        process.env.AWS_ACCESS_KEY_ID ??= "local";
        process.env.AWS_SECRET_ACCESS_KEY ??= "local";
      }
      const { DynamoDBClient } = await import("@aws-sdk/client-dynamodb");
      const settings = (await import("../lib/local/config-env.ts")).localSettings(process.env);
      const { configFrom } = await import("../lib/runtime/broker-from-env.ts");
      const { connectionStatus, formatStatus } = await import("../lib/cli/status.ts");
      const { boundedAwsClient } = await import("../lib/runtime/aws-call-limits.ts");
      const { awsOperatorError } = await import("../lib/local/operator-errors.ts");
      const config = configFrom(settings);
      const client = new DynamoDBClient(boundedAwsClient());
      let rows: Awaited<ReturnType<typeof connectionStatus>>;
      try {
        rows = await connectionStatus(config, client, table);
      } catch (error) {
        // The runbook's first step: name the table, the endpoint and the AWS error code.
        const region = await client.config.region().catch(() => undefined);
        throw awsOperatorError(error, {
          service: "DynamoDB table",
          resource: `"${table}"`,
          endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB ?? `AWS${region ? ` (${region})` : ""}`,
        });
      } finally {
        client.destroy();
      }
      out(values.json ? { table, connections: rows } : `table ${table}\n${formatStatus(rows)}`);
    },
  },
  prewarm: {
    usage: "prewarm",
    summary: "One prewarm run (same as `npm run prewarm`); prints the per-connection summary.",
    options: help,
    async run() {
      await import("./prewarm.ts");
    },
  },
};

class UsageError extends Error {}

function usage(): string {
  const lines = Object.values(COMMANDS).map((c) => `  ${c.usage.padEnd(30)} ${c.summary}`);
  return [`usage: ${PROGRAM} <command> [options]   (every command takes --help)`, ...lines].join("\n");
}

const { describeForOperator } = await import("../lib/local/operator-errors.ts");
const [commandName, ...rest] = process.argv.slice(2);
if (commandName === "--help" || commandName === "-h" || commandName === "help") {
  out(usage());
} else if (commandName === undefined) {
  err(usage());
  process.exitCode = 2;
} else if (!(commandName in COMMANDS)) {
  err(`unknown command "${commandName}"\n${usage()}`);
  process.exitCode = 2;
} else {
  const command = COMMANDS[commandName] as Command;
  try {
    let parsed: { values: Record<string, unknown>; positionals: string[] };
    try {
      parsed = parseArgs({ args: rest, options: command.options, allowPositionals: true, strict: true });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    if (parsed.values.help) out(`usage: ${PROGRAM} ${command.usage}\n\n${command.summary}`);
    else await command.run(parsed.values, parsed.positionals);
  } catch (error) {
    if (error instanceof UsageError) {
      err(`${error.message}\nusage: ${PROGRAM} ${command.usage}`);
      process.exitCode = 2;
    } else {
      // One line (a config error: one per bad field), never a stack trace, never "logged".
      err(describeForOperator(error));
      process.exitCode = 1;
    }
  }
}

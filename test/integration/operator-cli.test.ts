import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { networkInterfaces } from "node:os";
import { describe, expect, inject, it } from "vitest";

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, ["bin/broker.ts", ...args], {
    encoding: "utf8",
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: "ERROR" },
  });
  return { status: result.status, out: result.stdout + result.stderr };
}

const secrets = JSON.parse(readFileSync("examples/local-secrets.json", "utf8")) as Record<
  string,
  Record<string, string>
>;

describe("operator CLI (npm run broker)", () => {
  it("validate: lists the connections of a good file", () => {
    const { status, out } = cli("validate", "examples/broker.config.json");
    expect(status).toBe(0);
    expect(out).toContain("8 valid connection(s)");
    expect(out).toContain("demo-ledger: token-exchange (preset ledger-enterprise)");
  });

  it("validate: names every bad field and fails", () => {
    const { status, out } = cli("validate", "test/fixtures/bad-stages.json");
    expect(status).toBe(1);
    expect(out).toContain('Unrecognized key: "bad"');
  });

  it("token: obtains a credential and prints header names only, never values or secrets", () => {
    const { status, out } = cli("token", "demo-signed");
    expect(status).toBe(0);
    expect(JSON.parse(out)).toMatchObject({
      connection: "demo-signed",
      source: "minted",
      headers: ["x-api-key", "x-signature"],
    });
    for (const value of Object.values(secrets["broker/local/demo-signed"] ?? {}))
      expect(out).not.toContain(value);
  });

  it("token: an unknown connection is one line on stderr naming the problem, exit 1", () => {
    const result = spawnSync(process.execPath, ["bin/broker.ts", "token", "nope"], { encoding: "utf8" });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^error: connection-not-found \(404\): /),
    ]);
  });
});

/** A command run for its failure: stdout, stderr and the exit code apart. */
function failing(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, args, {
    encoding: "utf8",
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: "ERROR", ...env },
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("operator mistakes: one clear line on stderr, exit 1, never a stack trace", () => {
  const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at |node:internal|\.ts:\d+:\d+/);

  it("status against an endpoint nothing listens on names the table, the endpoint and the AWS error", () => {
    const endpoint = "http://127.0.0.1:9"; // discard port: refused
    const { status, stdout, stderr } = failing(["bin/broker.ts", "status", "--table", "tokens"], {
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    });
    expect(status).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain(`DynamoDB table "tokens" at ${endpoint}`);
    expect(stderr).toMatch(/ECONNREFUSED|does not answer/);
    expect(stderr).toContain("Fix:");
    expect(stderr).not.toMatch(/logged/i);
    noStack(stderr);
  });

  it("status against a table that does not exist says so, with the AWS error code", async () => {
    const { status, stderr } = failing(["bin/broker.ts", "status", "--table", "no-such-table"], {
      AWS_ENDPOINT_URL_DYNAMODB: inject("dynamoDbEndpoint"),
    });
    expect(status).toBe(1);
    expect(stderr).toContain('DynamoDB table "no-such-table"');
    expect(stderr).toContain("ResourceNotFoundException");
    noStack(stderr);
  });

  it.each([
    ["PORT=abc", { PORT: "abc" }, /PORT="abc" is not a port/],
    ["an unknown auth mode", { BROKER_LOCAL_AUTH: "bogus" }, /BROKER_LOCAL_AUTH/],
    ["a missing config file", { BROKER_CONFIG_FILE: "no/such/file.json" }, /no\/such\/file\.json.*ENOENT/s],
  ])("npm start with %s", (_, env, message) => {
    const { status, stderr } = failing(["bin/local-server.ts"], env);
    expect(status).toBe(1);
    expect(stderr).toMatch(message);
    noStack(stderr);
  });

  it("npm start on a port in use", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const port = String((server.address() as AddressInfo).port);
      const { status, stderr } = failing(["bin/local-server.ts"], { PORT: port });
      expect(status).toBe(1);
      expect(stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
      noStack(stderr);
    } finally {
      server.close();
    }
  });

  it("npm run dynamodb:local on a port in use fails at once, naming the port and the fix", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const port = String((server.address() as AddressInfo).port);
      const started = performance.now();
      const { status, stderr } = failing(["bin/dynamodb-local.ts"], { DYNAMODB_PORT: port });
      expect(status).toBe(1);
      expect(stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(stderr).toContain("DYNAMODB_PORT=");
      expect(performance.now() - started).toBeLessThan(10_000); // no 30 s wait for a server that never comes
      noStack(stderr);
    } finally {
      server.close();
    }
  });

  it("DynamoDB Local listens on loopback only", async () => {
    const { port } = new URL(inject("dynamoDbEndpoint"));
    const reachable = (host: string) =>
      new Promise<boolean>((resolve) => {
        const socket = connect({ host, port: Number(port) });
        socket.once("connect", () => resolve(socket.destroy() !== undefined));
        socket.once("error", () => resolve(false));
      });
    expect(await reachable("127.0.0.1")).toBe(true);
    const external = Object.values(networkInterfaces())
      .flat()
      .filter((i) => i !== undefined && i.family === "IPv4" && !i.internal)
      .map((i) => i?.address as string);
    // Every other interface of this machine refuses it (a machine without one has nothing to expose).
    for (const address of external) expect(await reachable(address)).toBe(false);
  });

  it("a bad config is printed once, every field with its path", () => {
    const { status, stderr } = failing(["bin/local-server.ts"], {
      BROKER_CONFIG_FILE: "test/fixtures/mixed-errors.config.json",
    });
    expect(status).toBe(1);
    expect(stderr.match(/Invalid broker config/g)).toHaveLength(1);
    expect(stderr).toContain("connections.Bad_Name");
    expect(stderr).toContain("connections.no-secret.secret");
    noStack(stderr);
  });

  it.each([
    [
      "a missing stages file",
      { stage: "dev", stages: "no-such-stages.json" },
      /no-such-stages\.json.*ENOENT/s,
    ],
    ["an unknown stage", { stage: "qa" }, /Unknown stage "qa"/],
  ])("synth with %s", (_, context, message) => {
    const { status, stderr } = failing(["infra/app.ts"], { CDK_CONTEXT_JSON: JSON.stringify(context) });
    expect(status).toBe(1);
    expect(stderr).toMatch(message);
    noStack(stderr);
  });
});

describe("operator CLI arguments", () => {
  it.each(["validate", "token", "status", "prewarm"])("%s --help prints its usage and exits 0", (command) => {
    const { status, out } = cli(command, "--help");
    expect(status).toBe(0);
    expect(out).toContain(`usage: npm run broker -- ${command}`);
  });

  it("--help lists every command", () => {
    const { status, out } = cli("--help");
    expect(status).toBe(0);
    for (const command of ["validate", "token", "prewarm"]) expect(out).toContain(command);
  });

  it("an unknown option or command is a usage error (exit 2), not ignored", () => {
    expect(cli("token", "demo-signed", "--shwo")).toMatchObject({
      status: 2,
      out: expect.stringContaining("--shwo"),
    });
    expect(cli("frobnicate").status).toBe(2);
    expect(cli("token")).toMatchObject({
      status: 2,
      out: expect.stringContaining("needs a connection name"),
    });
  });
});

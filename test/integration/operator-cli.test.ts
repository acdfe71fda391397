import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

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

  it("token: an unknown connection is a problem, exit 1", () => {
    const { status, out } = cli("token", "nope");
    expect(status).toBe(1);
    expect(JSON.parse(out)).toMatchObject({
      status: 404,
      type: "urn:token-broker:problem:connection-not-found",
    });
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

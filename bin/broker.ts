/**
 * `npm run broker -- <command>`: operator commands, with the same environment as `npm start`.
 *   validate [config.json]   validate a connections file; print each connection or every bad field
 *   token <connection>       obtain a credential as the broker would and print its header *names*
 *                            and expiry (add --show to print the values: they are live credentials)
 *   prewarm                  one prewarm run (same as `npm run prewarm`)
 * Secrets are never printed.
 */
process.env.BROKER_CONFIG_FILE ??= "examples/broker.config.json";
process.env.BROKER_SECRETS ??= "file:examples/local-secrets.json";
process.env.POWERTOOLS_DEV ??= "true";
process.env.POWERTOOLS_LOG_LEVEL ??= "WARN";

const [command, ...args] = process.argv.slice(2);
const out = (value: unknown) =>
  process.stdout.write(`${typeof value === "string" ? value : JSON.stringify(value, null, 2)}\n`);

const { ConfigError, toBrokerError } = await import("../lib/errors.ts");
try {
  switch (command) {
    case "validate": {
      const { loadConfigFile } = await import("../lib/config/broker-config.ts");
      const file = args[0] ?? (process.env.BROKER_CONFIG_FILE as string);
      const config = loadConfigFile(file);
      out(`${file}: ${config.connections.size} valid connection(s)`);
      for (const c of config.connections.values()) {
        const access = c.access ? `${c.access.length} access rule(s)` : "no access rules: nobody can use it";
        out(
          `  ${c.name}: ${c.scheme}${c.preset ? ` (preset ${c.preset})` : ""}, secret ${c.secret}, ${access}`,
        );
      }
      break;
    }
    case "token": {
      const name = args.find((a) => !a.startsWith("--"));
      if (!name) throw new Error("usage: token <connection> [--show]");
      const { brokerFromEnv } = await import("../lib/runtime/broker-from-env.ts");
      const credential = await brokerFromEnv().getCredential(name);
      out({
        connection: name,
        source: credential.source,
        expiresAt: new Date(credential.expiresAt).toISOString(),
        headers: args.includes("--show") ? credential.headers : Object.keys(credential.headers),
      });
      break;
    }
    case "prewarm": {
      await import("./prewarm.ts");
      break;
    }
    default:
      out("usage: npm run broker -- validate [config.json] | token <connection> [--show] | prewarm");
      process.exitCode = 2;
  }
} catch (error) {
  if (error instanceof ConfigError) out(error.message);
  else out(toBrokerError(error).toProblem());
  process.exitCode = 1;
}

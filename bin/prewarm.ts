/**
 * `npm run prewarm`: runs the prewarm once, with the same environment as `npm start`, and prints
 * the per-connection summary (no token values).
 */
process.env.BROKER_CONFIG_FILE ??= "examples/broker.config.json";
process.env.BROKER_SECRETS ??= "file:examples/local-secrets.json";
process.env.POWERTOOLS_DEV ??= "true";
process.env.POWERTOOLS_LOG_LEVEL ??= "WARN";

const { runOperatorCommand } = await import("../lib/local/operator-errors.ts");

await runOperatorCommand(async () => {
  const { resolveConfigEnv } = await import("../lib/local/config-env.ts");
  resolveConfigEnv();
  const { brokerFromEnv } = await import("../lib/runtime/broker-from-env.ts");
  const { prewarm } = await import("../lib/prewarm.ts");

  const windowMs = Number(process.env.BROKER_PREWARM_WINDOW_SECONDS ?? 600) * 1000;
  const summary = await prewarm(brokerFromEnv(), { windowMs });
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  process.exitCode = summary.failed > 0 ? 1 : 0;
});

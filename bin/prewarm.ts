/**
 * `npm run prewarm`: runs the prewarm once, with the same environment as `npm start`, and prints
 * the per-connection summary (no token values).
 */
process.env.POWERTOOLS_DEV ??= "true";
process.env.POWERTOOLS_SERVICE_NAME ??= "token-broker";
process.env.POWERTOOLS_LOG_LEVEL ??= "WARN";

const { runOperatorCommand } = await import("../lib/local/operator-errors.ts");

await runOperatorCommand(async () => {
  const settings = (await import("../lib/local/config-env.ts")).localSettings(process.env);
  const { brokerFrom } = await import("../lib/runtime/broker-from-env.ts");
  const { prewarm } = await import("../lib/prewarm.ts");

  const summary = await prewarm(brokerFrom(settings), settings.prewarm);
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  process.exitCode = summary.failed > 0 ? 1 : 0;
});

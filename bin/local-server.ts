/**
 * `npm start`: the token function's own handler on http://127.0.0.1:$PORT (default 8787), with
 * the example config and local secrets unless BROKER_CONFIG_FILE / BROKER_SECRETS say otherwise.
 */
process.env.BROKER_CONFIG_FILE ??= "examples/broker.config.json";
process.env.BROKER_SECRETS ??= "file:examples/local-secrets.json";
process.env.POWERTOOLS_DEV ??= "true";
// DynamoDB Local accepts any credentials; spare a newcomer from configuring AWS for it.
if (/^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(process.env.AWS_ENDPOINT_URL_DYNAMODB ?? "")) {
  process.env.AWS_REGION ??= "us-east-1";
  process.env.AWS_ACCESS_KEY_ID ??= "local";
  process.env.AWS_SECRET_ACCESS_KEY ??= "local";
}

const { handler } = await import("../functions/token/handler.ts");
const { brokerFromEnv } = await import("../lib/runtime/broker-from-env.ts");
const { serveLocally, serverUrl } = await import("../lib/http/local-gateway.ts");
const { logger } = await import("../lib/observability/logger.ts");

const port = Number(process.env.PORT ?? 8787);
const broker = brokerFromEnv(); // fail now, with the bad field's path, rather than on the first request
const server = await serveLocally(handler as never, port);
const url = serverUrl(server);
logger.warn("LOCAL MODE: no caller authentication; listening on loopback only", { url });
logger.info("connections", {
  connections: broker.listConnections().map((c) => c.name),
  cache: process.env.BROKER_CACHE ?? "memory",
});
process.stdout.write(
  `\nToken broker listening on ${url}\n  curl -X POST ${url}/v1/connections/${broker.listConnections()[0]?.name ?? "<name>"}/token\n\n`,
);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => server.close(() => process.exit(0)));
}

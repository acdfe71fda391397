/**
 * `npm start`: the token function's own handler on http://127.0.0.1:$PORT (default 8787), behind a
 * local stand-in for API Gateway (same routes, payload v2 events, JWT verification), with the
 * example config and local secrets unless BROKER_CONFIG_FILE / BROKER_SECRETS say otherwise.
 */
import { readFileSync } from "node:fs";

// Powertools' and the runtime's own variables (read by Powertools itself): service name, pretty
// lines, and concurrent invocations scoped apart (lib/local/invocation-scope.ts).
process.env.POWERTOOLS_DEV ??= "true";
process.env.POWERTOOLS_SERVICE_NAME ??= "token-broker";
process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= "64";
// DynamoDB Local accepts any credentials; spare a newcomer from configuring AWS for it.
if (/^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(process.env.AWS_ENDPOINT_URL_DYNAMODB ?? "")) {
  process.env.AWS_REGION ??= "us-east-1";
  process.env.AWS_ACCESS_KEY_ID ??= "local";
  process.env.AWS_SECRET_ACCESS_KEY ??= "local";
}

const { OperatorError, portFromEnv, runOperatorCommand } = await import("../lib/local/operator-errors.ts");

// An ordinary mistake (bad config, port in use, PORT=abc, unknown auth mode, missing table) is one
// line on stderr and exit code 1, never a stack trace.
await runOperatorCommand(async () => {
  // Validate the connections file now, with every bad field's path; the broker loads the result.
  // Concurrent requests keep their own log context, as in Lambda Managed Instances.
  await (await import("../lib/local/invocation-scope.ts")).scopeInvocationsLikeLambda();
  const { LOCAL_DEFAULTS, localSettings } = await import("../lib/local/config-env.ts");
  const { localAuthFromEnv } = await import("../lib/local/local-auth.ts");
  const auth = await localAuthFromEnv(process.env);
  const settings = {
    ...localSettings(process.env, {
      ...LOCAL_DEFAULTS,
      BROKER_CORS_ORIGINS: "http://localhost:5173,http://127.0.0.1:5173,http://localhost:3000",
    }),
    allowAnonymous: auth.mode === "none",
  };

  const { createTokenHandler } = await import("../functions/token/handler.ts");
  const { brokerFrom } = await import("../lib/runtime/broker-from-env.ts");
  const { serveLocally, serverUrl } = await import("../lib/http/local-gateway.ts");
  const { logger } = await import("../lib/observability/logger.ts");

  const port = portFromEnv("PORT", 8787, process.env);
  const broker = brokerFrom(settings); // fail now, with the bad field's path, rather than on the first request
  const handler = createTokenHandler(() => broker, settings);
  if (settings.cache.kind === "dynamodb") {
    const { DynamoDBClient } = await import("@aws-sdk/client-dynamodb");
    const { assertTokenTableExists } = await import("../lib/local/dynamodb-local.ts");
    const { boundedAwsClient } = await import("../lib/runtime/aws-call-limits.ts");
    const client = new DynamoDBClient({ ...boundedAwsClient(), maxAttempts: 1 });
    try {
      await assertTokenTableExists(
        client,
        settings.cache.table,
        process.env.AWS_ENDPOINT_URL_DYNAMODB ?? "AWS",
      );
    } finally {
      client.destroy();
    }
  }
  const server = await serveLocally(handler as never, port, {
    ...(auth.mode === "none" ? {} : { authorizer: auth.authorizer }),
    ...(auth.mode === "dev" ? { devToken: auth.devToken } : {}),
    corsOrigins: settings.corsOrigins,
    openApiDocument: readFileSync("docs/openapi.json", "utf8"),
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "EADDRINUSE") throw error;
    throw new OperatorError(
      `port ${port} on 127.0.0.1 is already in use (another npm start?)`,
      `stop what listens there, or choose another port: PORT=${port + 1} npm start`,
    );
  });
  const url = serverUrl(server);
  if (auth.mode === "none") {
    logger.warn(
      "NO CALLER AUTHENTICATION (BROKER_LOCAL_AUTH=none): anyone on this machine can obtain every connection's credentials",
      { url },
    );
  }
  logger.info("token broker started", {
    url,
    callerAuth: auth.mode,
    connections: broker.listConnections().map((c) => c.name),
    cache: settings.cache.kind === "dynamodb" ? `dynamodb:${settings.cache.table}` : "memory",
    corsOrigins: settings.corsOrigins.join(","),
  });
  const name = broker.listConnections()[0]?.name ?? "<name>";
  const lines = [`Token broker listening on ${url} (caller authentication: ${auth.mode})`];
  if (auth.mode === "dev") {
    lines.push(
      "A caller token for this process's local dev issuer (sub local-developer, scope broker/token):",
      `  export BROKER_DEV_TOKEN=${auth.devToken}`,
      `  curl -X POST -H "Authorization: Bearer $BROKER_DEV_TOKEN" ${url}/v1/connections/${name}/token`,
    );
  } else if (auth.mode === "none") {
    lines.push(`  curl -X POST ${url}/v1/connections/${name}/token`);
  } else {
    lines.push(
      `  curl -X POST -H "Authorization: Bearer <access token>" ${url}/v1/connections/${name}/token`,
    );
  }
  process.stdout.write(`\n${lines.join("\n")}\n\n`);

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => server.close(() => process.exit(0)));
  }
});

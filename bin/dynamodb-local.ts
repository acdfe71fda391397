/**
 * `npm run dynamodb:local`: DynamoDB Local (in memory) on 127.0.0.1:$DYNAMODB_PORT (default 8000)
 * with the token table created, for `BROKER_CACHE=dynamodb:tokens npm start`. Ctrl-C stops it.
 * A port in use or a bad DYNAMODB_PORT is one line on stderr and exit code 1, at once.
 */
import { ensureTokenTable } from "../lib/local/dynamodb-table.ts";
import { localDynamoDbClient, startDynamoDbLocal } from "../lib/local/dynamodb-local.ts";
import { portFromEnv, runOperatorCommand } from "../lib/local/operator-errors.ts";

await runOperatorCommand(async () => {
  const port = portFromEnv("DYNAMODB_PORT", 8000, process.env);
  const table = process.env.BROKER_TABLE ?? "tokens";
  const ddb = await startDynamoDbLocal(port);
  const client = localDynamoDbClient(ddb.endpoint);
  try {
    await ensureTokenTable(client, table);
  } finally {
    client.destroy();
  }
  process.stdout.write(
    `DynamoDB Local on ${ddb.endpoint} (loopback only) with table "${table}". In another terminal:\n` +
      `  BROKER_CACHE=dynamodb:${table} AWS_ENDPOINT_URL_DYNAMODB=${ddb.endpoint} npm start\n`,
  );
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => void ddb.stop().then(() => process.exit(0)));
  }
});

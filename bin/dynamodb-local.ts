/**
 * `npm run dynamodb:local`: DynamoDB Local (in memory) on 127.0.0.1:$DYNAMODB_PORT (default 8000)
 * with the token table created, for `BROKER_CACHE=dynamodb:tokens npm start`. Ctrl-C stops it.
 */
import { ensureTokenTable } from "../lib/local/dynamodb-table.ts";
import { localDynamoDbClient, startDynamoDbLocal } from "../lib/local/dynamodb-local.ts";

const port = Number(process.env.DYNAMODB_PORT ?? 8000);
const table = process.env.BROKER_TABLE ?? "tokens";
const ddb = await startDynamoDbLocal(port);
const client = localDynamoDbClient(ddb.endpoint);
await ensureTokenTable(client, table);
client.destroy();
process.stdout.write(
  `DynamoDB Local on ${ddb.endpoint} with table "${table}". In another terminal:\n` +
    `  BROKER_CACHE=dynamodb:${table} AWS_ENDPOINT_URL_DYNAMODB=${ddb.endpoint} npm start\n`,
);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => void ddb.stop().then(() => process.exit(0)));
}

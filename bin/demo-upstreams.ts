/**
 * `npm run demo:upstreams`: the two upstreams the example config's exchange connections expect,
 * on loopback, so every example connection works locally:
 * - 127.0.0.1:9401: a Ledger Enterprise-shaped API (seed 004) for demo-ledger, rotating refresh
 *   tokens and revoking the family on reuse;
 * - 127.0.0.1:9402: a certified OpenID provider (oidc-provider) with client_credentials at
 *   /oauth2/token for demo-oauth (seed 001, client_secret_basic).
 * Both are development stand-ins built from the test fixtures; Ctrl-C stops them.
 */
import { readFileSync } from "node:fs";
import { startLedgerServer } from "../test/helpers/ledger-server.ts";
import { startOidcServer } from "../test/helpers/oidc-server.ts";

const secrets = JSON.parse(readFileSync("examples/local-secrets.json", "utf8"));
const ledger = secrets["broker/local/demo-ledger"];
const oauth = secrets["broker/local/demo-oauth"];

const ledgerServer = await startLedgerServer(
  { workspace: "demo", apiKeyId: ledger.apiKeyId, apiKeySecret: ledger.apiKeySecret },
  9401,
);
const oidc = await startOidcServer(
  [
    {
      client_id: oauth.clientId,
      client_secret: oauth.clientSecret,
      token_endpoint_auth_method: "client_secret_basic",
      scope: "read",
    },
  ],
  { port: 9402, tokenPath: "/oauth2/token" },
);
process.stdout.write(`Ledger-shaped API on ${ledgerServer.url}\nOAuth2 token endpoint on ${oidc.tokenUrl}\n`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(
    signal,
    () => void Promise.all([ledgerServer.close(), oidc.close()]).then(() => process.exit(0)),
  );
}

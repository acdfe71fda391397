/**
 * `npm run demo:upstreams`: the two upstreams the example config's exchange connections expect,
 * on loopback, so every example connection works locally:
 * - 127.0.0.1:9401: a Ledger Enterprise-shaped API (seed 004) for demo-ledger, rotating refresh
 *   tokens and revoking the family on reuse;
 * - 127.0.0.1:9402: a certified OpenID provider (oidc-provider) with client_credentials at
 *   /oauth2/token for demo-oauth (seed 001, client_secret_basic);
 * - 127.0.0.1:9403: a static-bearer API (seed 003) for demo-static's proxy (GET /api/items);
 * - 127.0.0.1:9404: an API verifying seed-002 signatures on every call, for demo-signed's proxy.
 * Both are development stand-ins built from the test fixtures; Ctrl-C stops them.
 */
import { readFileSync } from "node:fs";
import { startLedgerServer } from "../test/helpers/ledger-server.ts";
import { startOidcServer } from "../test/helpers/oidc-server.ts";
import { startSignatureServer, startStaticBearerServer } from "../test/helpers/resource-servers.ts";

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
const staticApi = await startStaticBearerServer(secrets["broker/local/demo-static"].token, 9403);
const signed = secrets["broker/local/demo-signed"];
const signatureApi = await startSignatureServer(signed.apiKey, signed.jwtKey, 9404);
process.stdout.write(
  `Ledger-shaped API on ${ledgerServer.url}\nOAuth2 token endpoint on ${oidc.tokenUrl}\n` +
    `Static-bearer API on ${staticApi.url}\nSignature-checking API on ${signatureApi.url}\n`,
);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(
    signal,
    () =>
      void Promise.all([ledgerServer.close(), oidc.close(), staticApi.close(), signatureApi.close()]).then(
        () => process.exit(0),
      ),
  );
}

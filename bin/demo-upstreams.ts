/**
 * `npm run demo:upstreams`: the upstreams the example config's connections expect, on loopback, so
 * every example connection works locally:
 * - 127.0.0.1:9401: a Ledger Enterprise-shaped API for demo-ledger, rotating refresh
 *   tokens and revoking the family on reuse, with GET /v1/accounts for its proxy;
 * - 127.0.0.1:9402: a certified OpenID provider (oidc-provider) with client_credentials at
 *   /oauth2/token for demo-oauth (TokenOS-style, client_secret_basic);
 * - 127.0.0.1:9403: a static-bearer API (Jet Admin-style bearer token) for demo-static's proxy (GET /api/items);
 * - 127.0.0.1:9404: an API verifying x-signatures on every call, for demo-signed (CORS for
 *   the example page's origins, so a page can call it with the headers).
 * Development stand-ins built from the test fixtures; Ctrl-C stops them.
 */
import { readFileSync } from "node:fs";
import { startDemoUpstreams } from "../test/helpers/demo-upstreams.ts";

const upstreams = await startDemoUpstreams({
  secrets: JSON.parse(readFileSync("examples/local-secrets.json", "utf8")) as Record<
    string,
    Record<string, string>
  >,
  ports: [9401, 9402, 9403, 9404],
  corsOrigins: ["http://127.0.0.1:5173", "http://localhost:5173"],
});
process.stdout.write(
  `Ledger-shaped API on ${upstreams.ledger.url}\nOAuth2 token endpoint on ${upstreams.oidc.tokenUrl}\n` +
    `Static-bearer API on ${upstreams.staticApi.url}\nSignature-checking API on ${upstreams.signatureApi.url}\n`,
);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => void upstreams.close().then(() => process.exit(0)));
}

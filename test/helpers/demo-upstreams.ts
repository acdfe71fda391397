import { startLedgerServer } from "./ledger-server.ts";
import { startOidcServer } from "./oidc-server.ts";
import { startSignatureServer, startStaticBearerServer } from "./resource-servers.ts";

export interface DemoUpstreamsOptions {
  secrets: Record<string, Record<string, string>>;
  /** Ports: ledger, OAuth2, static-bearer, signature (0 picks free ones). */
  ports?: [number, number, number, number];
  /** Origins allowed to call the signature API straight from a page (headers mode). */
  corsOrigins?: readonly string[];
}

/**
 * The stand-in upstreams of the example config, from the test fixtures: Ledger Enterprise-shaped (with
 * resource endpoints and no CORS), an OpenID provider (TokenOS), a static-bearer API
 * (Jet Admin-style bearer token) and an API that verifies x-signatures (CORS for the example page).
 */
export async function startDemoUpstreams(options: DemoUpstreamsOptions) {
  const [ledgerPort, oauthPort, staticPort, signaturePort] = options.ports ?? [0, 0, 0, 0];
  const ledgerSecret = options.secrets["broker/local/demo-ledger"] ?? {};
  const oauth = options.secrets["broker/local/demo-oauth"] ?? {};
  const signed = options.secrets["broker/local/demo-signed"] ?? {};
  const ledger = await startLedgerServer(
    {
      workspace: "demo",
      apiKeyId: ledgerSecret.apiKeyId ?? "",
      apiKeySecret: ledgerSecret.apiKeySecret ?? "",
    },
    ledgerPort,
  );
  const oidc = await startOidcServer(
    [
      {
        client_id: oauth.clientId ?? "",
        client_secret: oauth.clientSecret ?? "",
        token_endpoint_auth_method: "client_secret_basic",
        scope: "read",
      },
    ],
    { port: oauthPort, tokenPath: "/oauth2/token" },
  );
  const staticApi = await startStaticBearerServer(
    options.secrets["broker/local/demo-static"]?.token ?? "",
    staticPort,
  );
  const signatureApi = await startSignatureServer(
    signed.apiKey ?? "",
    signed.jwtKey ?? "",
    signaturePort,
    options.corsOrigins ?? [],
  );
  return {
    ledger,
    oidc,
    staticApi,
    signatureApi,
    close: () =>
      Promise.all([ledger.close(), oidc.close(), staticApi.close(), signatureApi.close()]).then(() => {}),
  };
}

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";

export interface OidcServer {
  issuer: string;
  tokenUrl: string;
  provider: Provider;
  /** Requests to the token endpoint so far. */
  tokenRequests: () => number;
  close(): Promise<void>;
}

/** A certified OpenID provider (oidc-provider) on 127.0.0.1 with client_credentials enabled. */
export async function startOidcServer(
  clients: Record<string, unknown>[],
  options: { port?: number; tokenPath?: string } = {},
): Promise<OidcServer> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", resolve);
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: clients.map((c) => ({
      grant_types: ["client_credentials"],
      redirect_uris: [],
      response_types: [],
      scope: "read write",
      ...c,
    })),
    features: { clientCredentials: { enabled: true }, devInteractions: { enabled: false } },
    scopes: ["read", "write"],
    ttl: { ClientCredentials: 600 },
    ...(options.tokenPath ? { routes: { token: options.tokenPath } } : {}),
  } as never);
  let tokenRequests = 0;
  const callback = provider.callback();
  server.on("request", (req, res) => {
    if (req.url?.startsWith(options.tokenPath ?? "/token")) tokenRequests++;
    callback(req, res);
  });
  return {
    issuer,
    tokenUrl: `${issuer}${options.tokenPath ?? "/token"}`,
    provider,
    tokenRequests: () => tokenRequests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

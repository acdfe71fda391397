import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A client_credentials token endpoint on 127.0.0.1 that answers after `delayMs`, counting calls. */
export async function slowTokenServer(delayMs: number, expiresIn = 300) {
  let calls = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const n = ++calls;
      setTimeout(() => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({ access_token: `bench-token-${n}`, token_type: "Bearer", expires_in: expiresIn }),
        );
      }, delayMs);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`,
    calls: () => calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const SECRETS = {
  bench: { clientId: "bench-client", clientSecret: "bench-client-secret-0123456789" },
  signed: { apiKey: "bench-api-key", jwtKey: "bench-jwt-signing-key-0123456789-abcdefgh" },
};

export function connections(tokenUrl: string) {
  return {
    bench: {
      scheme: "oauth2-client-credentials",
      secret: "bench",
      tokenUrl,
      clientAuth: { method: "client_secret_post" },
      access: [{ scopes: ["broker/token"] }],
      delivery: "headers",
    },
  };
}

/** Audit records are written as in Lambda (one line per request), to nowhere: a bench prints its own. */
export const AUDIT_SINK = "file:/dev/null";

import { sendJson, startServer, type TestServer } from "./http-server.ts";

export interface TokenServer extends TestServer {
  tokenCalls: () => number;
  /** Change the answer: e.g. a 429 with Retry-After. */
  respond?: (call: number) => { status: number; body: unknown; headers?: Record<string, string> } | undefined;
}

/** A client_credentials token endpoint that answers after `delayMs`, counting calls. */
export async function startTokenServer(
  options: { delayMs?: number; expiresIn?: number } = {},
): Promise<TokenServer> {
  let calls = 0;
  const server: TokenServer = Object.assign(
    await startServer(async (_, res) => {
      const call = ++calls;
      if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      const override = server.respond?.(call);
      if (override) return sendJson(res, override.status, override.body, override.headers);
      sendJson(res, 200, {
        access_token: `token-${call}`,
        token_type: "Bearer",
        expires_in: options.expiresIn ?? 300,
      });
    }),
    { tokenCalls: () => calls },
  );
  return server;
}

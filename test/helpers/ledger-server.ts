import type { ServerResponse } from "node:http";
import { sendJson, startServer, type TestServer } from "./http-server.ts";

export interface LedgerServerOptions {
  workspace?: string;
  apiKeyId?: string;
  apiKeySecret?: string;
  /** Omit refreshToken from refresh responses (RFC 6749 6 allows it). */
  omitRefreshTokenOnRefresh?: boolean;
  /** Answer every request this way instead (fault injection). */
  fault?: (res: ServerResponse) => void;
  /** Lifetimes the upstream declares (default 300 s and 1800 s, as Ledger Enterprise says). */
  accessLifetimeSeconds?: number;
  refreshLifetimeSeconds?: number;
  /**
   * Awaited after a refresh request arrived and before it is processed: the request has reached
   * the upstream, so killing its sender here loses the rotated refresh token.
   */
  onRefreshReceived?: () => Promise<void> | void;
  /** The resource endpoints refuse every token (a key the vendor disabled). */
  rejectResources?: boolean;
}

export interface LedgerServer extends TestServer {
  /** Calls to the resource endpoints (GET /v1/accounts...), and how many were refused with 401. */
  resourceCalls: () => number;
  resourceRejections: () => number;
  /** Revokes every access token issued so far (as a vendor would on a key rotation). */
  revokeAccessTokens(): void;
  exchanges: () => number;
  refreshes: () => number;
  /** Refresh tokens presented twice: with family revocation each one kills the chain. */
  reuseDetected: () => number;
  revokeAll(): void;
  options: LedgerServerOptions;
}

/**
 * A Ledger Enterprise-shaped upstream that rotates refresh tokens and, like servers that
 * follow RFC 9700 4.14.2, revokes the whole token family when a refresh token is reused.
 */
export async function startLedgerServer(options: LedgerServerOptions = {}, port = 0): Promise<LedgerServer> {
  const { workspace = "ws", apiKeyId = "key-id", apiKeySecret = "key-secret" } = options;
  let counter = 0;
  let exchanges = 0;
  let refreshes = 0;
  let reuse = 0;
  const live = new Map<string, { family: number; used: boolean }>();
  // Access tokens and when they expire (server clock), for the resource endpoints.
  const accessTokens = new Map<string, { family: number; expiresAt: number }>();
  let resourceCalls = 0;
  let resourceRejections = 0;
  const revokedFamilies = new Set<number>();
  let family = 0;

  const issue = (res: ServerResponse, fam: number, withRefresh = true) => {
    counter++;
    const refreshToken = `rt-${counter}`;
    accessTokens.set(`at-${counter}`, {
      family: fam,
      expiresAt: Date.now() + (options.accessLifetimeSeconds ?? 300) * 1000,
    });
    if (withRefresh) live.set(refreshToken, { family: fam, used: false });
    sendJson(res, 200, {
      accessToken: `at-${counter}`,
      expiresInSeconds: options.accessLifetimeSeconds ?? 300,
      ...(withRefresh
        ? { refreshToken, refreshExpiresInSeconds: options.refreshLifetimeSeconds ?? 1800 }
        : {}),
    });
  };

  const server = await startServer(async (req, res) => {
    if (options.fault) return options.fault(res);
    if (req.path === "/auth/token/refresh") await options.onRefreshReceived?.();
    const body = JSON.parse(req.body || "{}");
    if (req.path === "/auth/token") {
      exchanges++;
      if (body.workspace !== workspace || body.apiKeyId !== apiKeyId || body.apiKeySecret !== apiKeySecret) {
        return sendJson(res, 401, { error: "invalid_client" });
      }
      return issue(res, ++family);
    }
    if (req.path === "/auth/token/refresh") {
      refreshes++;
      const entry = live.get(body.refreshToken);
      if (body.workspace !== workspace || !entry || revokedFamilies.has(entry.family)) {
        return sendJson(res, 401, { error: "invalid_grant" });
      }
      if (entry.used) {
        reuse++;
        revokedFamilies.add(entry.family);
        return sendJson(res, 401, { error: "invalid_grant" });
      }
      entry.used = true;
      return issue(res, entry.family, !options.omitRefreshTokenOnRefresh);
    }
    if (req.path === "/v1/accounts" || req.path.startsWith("/v1/accounts/")) {
      // Ledger Enterprise resources: only a current, unrevoked access token of a live family is accepted.
      resourceCalls++;
      const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
      const entry = accessTokens.get(token);
      if (
        options.rejectResources ||
        !entry ||
        entry.expiresAt <= Date.now() ||
        revokedFamilies.has(entry.family)
      ) {
        resourceRejections++;
        return sendJson(
          res,
          401,
          { error: "invalid_token" },
          { "www-authenticate": 'Bearer error="invalid_token"' },
        );
      }
      const id = req.path.split("/")[3];
      return sendJson(res, 200, id ? { id, workspace } : { accounts: [{ id: "acc-1" }, { id: "acc-2" }] });
    }
    sendJson(res, 404, { error: "not_found" });
  }, port);
  return {
    ...server,
    options,
    exchanges: () => exchanges,
    refreshes: () => refreshes,
    reuseDetected: () => reuse,
    resourceCalls: () => resourceCalls,
    resourceRejections: () => resourceRejections,
    revokeAccessTokens: () => accessTokens.clear(),
    revokeAll: () => {
      for (let f = 0; f <= family; f++) revokedFamilies.add(f);
    },
  };
}

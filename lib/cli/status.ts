import { type DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { Broker, MIN_REMAINING_MS } from "../broker.ts";
import { METADATA_ATTRIBUTES } from "../cache/dynamodb-token-store.ts";
import type { BrokerConfig } from "../config/broker-config.ts";
import type { SecretSource } from "../secrets/secret-source.ts";

export interface ConnectionStatus {
  name: string;
  scheme: string;
  preset?: string;
  delivery: string;
  exposure: string;
  /** minted: nothing cached (a fresh credential per request). */
  token: "fresh" | "in skew" | "expired" | "none" | "minted";
  expiresInSeconds?: number;
  refreshToken?: "none" | "present";
  refreshExpiresInSeconds?: number;
  lease?: { owner: string; expiresInSeconds: number };
  cooldownSeconds?: number;
  secretVersion?: string;
  obtainedAt?: string;
  health: "ok" | "failing" | "credentials-rejected" | "unknown";
  lastOutcome?: {
    at: string;
    outcome: string;
    problemType?: string;
    upstreamStatus?: number;
    upstreamError?: string;
  };
  consecutiveFailures?: number;
  rejectedUntil?: string;
}

/**
 * The table's metadata (its layout's own list), plus the refresh token read only to see whether one
 * is stored: it is sealed, and the value is dropped unread. Never the access token or the data key.
 */
const PROJECTION = [...METADATA_ATTRIBUTES, "refreshToken"];

const noSecrets: SecretSource = {
  get: () => Promise.reject(new Error("the status command reads no secret")),
};

/**
 * Each connection's state as the shared table holds it, for `npm run broker -- status`. Reads
 * metadata only (a projection that leaves out the token fields, which are sealed anyway).
 */
export async function connectionStatus(
  config: BrokerConfig,
  client: DynamoDBClient,
  table: string,
  now = Date.now(),
): Promise<ConnectionStatus[]> {
  const broker = new Broker({ config, secrets: noSecrets });
  const secs = (ms: number) => Math.round((ms - now) / 1000);
  const out: ConnectionStatus[] = [];
  for (const connection of config.connections.values()) {
    const base = {
      name: connection.name,
      scheme: connection.scheme,
      ...(connection.preset ? { preset: connection.preset } : {}),
      delivery: connection.delivery,
      exposure: connection.exposure,
    };
    if (connection.issuance === "minted") {
      out.push({ ...base, token: "minted", health: "unknown" });
      continue;
    }
    const { Item: item } = await client.send(
      new GetItemCommand({
        TableName: table,
        Key: { pk: { S: broker.itemKeyOf(connection.name) as string } },
        ConsistentRead: true,
        ProjectionExpression: PROJECTION.join(", "),
      }),
    );
    const n = (name: string) => (item?.[name]?.N === undefined ? undefined : Number(item[name].N));
    const s = (name: string) => item?.[name]?.S;
    const hasRefresh = item?.refreshToken !== undefined;
    if (item) delete item.refreshToken;
    const expiresAt = n("expiresAt");
    const skewMs = Math.max(
      ("skewSeconds" in connection ? connection.skewSeconds : 0) * 1000,
      MIN_REMAINING_MS,
    );
    const token: ConnectionStatus["token"] =
      expiresAt === undefined
        ? "none"
        : expiresAt <= now
          ? "expired"
          : expiresAt - skewMs <= now
            ? "in skew"
            : "fresh";
    const leaseExpiresAt = n("leaseExpiresAt");
    const cooldownUntil = n("cooldownUntil");
    const rejectedUntil = n("rejectedUntil");
    const failures = n("failures") ?? 0;
    const outcome = s("healthOutcome");
    const health: ConnectionStatus["health"] =
      rejectedUntil !== undefined && rejectedUntil > now
        ? "credentials-rejected"
        : outcome === "failed"
          ? "failing"
          : outcome === "ok" || (expiresAt !== undefined && failures === 0)
            ? "ok"
            : "unknown";
    const healthAt = n("healthAt");
    out.push({
      ...base,
      token,
      ...(expiresAt !== undefined ? { expiresInSeconds: secs(expiresAt) } : {}),
      ...(expiresAt !== undefined ? { refreshToken: hasRefresh ? "present" : "none" } : {}),
      ...(n("refreshExpiresAt") !== undefined
        ? { refreshExpiresInSeconds: secs(n("refreshExpiresAt") as number) }
        : {}),
      ...(s("leaseOwner") && leaseExpiresAt !== undefined
        ? { lease: { owner: s("leaseOwner") as string, expiresInSeconds: secs(leaseExpiresAt) } }
        : {}),
      ...(cooldownUntil !== undefined && cooldownUntil > now ? { cooldownSeconds: secs(cooldownUntil) } : {}),
      ...(s("secretVersion") ? { secretVersion: s("secretVersion") } : {}),
      ...(n("obtainedAt") !== undefined
        ? { obtainedAt: new Date(n("obtainedAt") as number).toISOString() }
        : {}),
      health,
      ...(healthAt !== undefined
        ? {
            lastOutcome: {
              at: new Date(healthAt).toISOString(),
              outcome: outcome ?? "unknown",
              ...(s("healthProblem") ? { problemType: s("healthProblem") as string } : {}),
              ...(n("healthUpstreamStatus") !== undefined
                ? { upstreamStatus: n("healthUpstreamStatus") as number }
                : {}),
              ...(s("healthUpstreamError") ? { upstreamError: s("healthUpstreamError") as string } : {}),
            },
          }
        : {}),
      ...(failures > 0 ? { consecutiveFailures: failures } : {}),
      ...(rejectedUntil !== undefined && rejectedUntil > now
        ? { rejectedUntil: new Date(rejectedUntil).toISOString() }
        : {}),
    });
  }
  return out;
}

/** The status as a text table for a terminal. */
export function formatStatus(rows: ConnectionStatus[]): string {
  const line = (r: ConnectionStatus) => {
    const parts = [
      `${r.name} (${r.preset ?? r.scheme}, exposure ${r.exposure}, delivery ${r.delivery})`,
      `token ${r.token}${r.expiresInSeconds !== undefined ? `, expires in ${r.expiresInSeconds} s` : ""}`,
      ...(r.refreshToken
        ? [
            `refresh token ${r.refreshToken}${r.refreshExpiresInSeconds !== undefined ? ` (expires in ${r.refreshExpiresInSeconds} s)` : ""}`,
          ]
        : []),
      ...(r.lease ? [`lease held by ${r.lease.owner} for ${r.lease.expiresInSeconds} s`] : []),
      ...(r.cooldownSeconds !== undefined ? [`cooldown ${r.cooldownSeconds} s`] : []),
      ...(r.secretVersion ? [`secret version ${r.secretVersion}`] : []),
      `health ${r.health}${r.consecutiveFailures ? ` (${r.consecutiveFailures} consecutive failures)` : ""}${r.rejectedUntil ? ` until ${r.rejectedUntil}` : ""}`,
      ...(r.lastOutcome
        ? [
            `last ${r.lastOutcome.outcome} at ${r.lastOutcome.at}${r.lastOutcome.problemType ? ` ${r.lastOutcome.problemType}` : ""}${r.lastOutcome.upstreamStatus ? ` (upstream ${r.lastOutcome.upstreamStatus}${r.lastOutcome.upstreamError ? ` ${r.lastOutcome.upstreamError}` : ""})` : ""}`,
          ]
        : []),
    ];
    return parts.join("\n    ");
  };
  return rows.map(line).join("\n");
}

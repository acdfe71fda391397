import type { IssuedCredential } from "../broker.ts";
import { ROUTES } from "../http/routes.ts";

/**
 * One audit record per decision about a credential: issued, proxied call made, or refused, with
 * who asked, for what, and what they got. Never a value: names, ids, problem types, hosts,
 * statuses, the credential's source, its tokenId (a hash that names a token, never the token) and
 * expiry. The `audit` member marks the line (the stage's log subscription selects on it) and
 * versions the schema; docs/operations.md#audit-trail documents it.
 */
export const AUDIT_FORMAT = "token-broker.audit/1";

export type AuditDecision = "issued" | "proxied" | "listed" | "refused";

export interface AuditCaller {
  iss?: string;
  sub?: string;
  /** `client_id`, else `azp`: the OAuth client the caller's token was issued to. */
  clientId?: string;
  /** Only with the local opt-in BROKER_LOCAL_AUTH=none. */
  anonymous?: true;
}

export interface AuditRecord {
  audit: typeof AUDIT_FORMAT;
  /** ISO 8601, when the answer was decided. */
  time: string;
  decision: AuditDecision;
  /** The HTTP status answered (for a proxied call, the upstream's). */
  status: number;
  /** The API route key, e.g. "POST /v1/connections/{name}/token"; "$default" for no route. */
  route: string;
  method: string;
  /** API Gateway's request id (the correlation id of the logs). */
  requestId?: string;
  /** The Lambda invocation's request id. */
  lambdaRequestId?: string;
  /** The broker's problem type, for a refusal. */
  problemType?: string;
  caller?: AuditCaller;
  connection?: string;
  credential?: {
    source: IssuedCredential["source"];
    tokenId?: string;
    expiresAt: string;
  };
  proxy?: {
    method: string;
    /** Index of the matched rule in the connection's `proxy.allow`. */
    rule?: number;
    upstreamHost?: string;
    upstreamStatus?: number;
    /** The upstream refused the cached token once; it was replaced and the call made again. */
    retried?: boolean;
  };
}

/**
 * What the routes learn while they decide, added to the request's record. Handed down with the
 * request (ApiRequest.audit, ProxyInput.audit): no async context, whose cost grows with every
 * promise the request's AWS calls make.
 */
export type AuditNote = Pick<AuditRecord, "connection" | "credential" | "proxy">;

/** Adds to a request's note (absent outside the token function: nothing to add to). */
export function noteAudit(note: AuditNote | undefined, add: AuditNote): void {
  if (note) Object.assign(note, add);
}

export function credentialNote(credential: IssuedCredential): NonNullable<AuditRecord["credential"]> {
  return {
    source: credential.source,
    ...(credential.tokenId ? { tokenId: credential.tokenId } : {}),
    expiresAt: new Date(credential.expiresAt).toISOString(),
  };
}

/** What the function knows of a request and its answer once it is decided. */
export interface AuditedExchange {
  route: string;
  method: string;
  requestId?: string;
  lambdaRequestId?: string;
  /** The claims the authorizer verified (absent: no caller). */
  claims?: Record<string, unknown>;
  anonymous?: boolean;
  status: number;
  /** The answer is the upstream's (proxied), not the broker's. */
  proxied: boolean;
  /** The broker's own answer body (problem+json for a refusal). */
  body?: string;
  note: AuditNote;
  now: number;
}

export function auditRecordOf(exchange: AuditedExchange): AuditRecord {
  const refused = !exchange.proxied && exchange.status >= 400;
  const decision: AuditDecision = exchange.proxied
    ? "proxied"
    : refused
      ? "refused"
      : exchange.route === ROUTES.listConnections
        ? "listed"
        : "issued";
  const caller = callerOf(exchange);
  const problemType = refused ? problemTypeOf(exchange.body) : undefined;
  return {
    audit: AUDIT_FORMAT,
    time: new Date(exchange.now).toISOString(),
    decision,
    status: exchange.status,
    route: exchange.route,
    method: exchange.method,
    ...(exchange.requestId ? { requestId: exchange.requestId } : {}),
    ...(exchange.lambdaRequestId ? { lambdaRequestId: exchange.lambdaRequestId } : {}),
    ...(problemType ? { problemType } : {}),
    ...(caller ? { caller } : {}),
    ...exchange.note,
  };
}

function callerOf({ claims, anonymous }: AuditedExchange): AuditCaller | undefined {
  if (!claims) return anonymous ? { anonymous: true } : undefined;
  const text = (name: string) => (typeof claims[name] === "string" ? claims[name] : undefined);
  const caller: AuditCaller = {};
  const iss = text("iss");
  const sub = text("sub");
  const clientId = text("client_id") ?? text("azp");
  if (iss) caller.iss = iss;
  if (sub) caller.sub = sub;
  if (clientId) caller.clientId = clientId;
  return caller;
}

function problemTypeOf(body: string | undefined): string | undefined {
  try {
    const { type } = JSON.parse(body ?? "") as { type?: unknown };
    return typeof type === "string" ? type : undefined;
  } catch {
    return undefined;
  }
}

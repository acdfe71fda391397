import type { Broker } from "../broker.ts";
import { CONNECTION_NAME } from "../config/connection-name.ts";
import { isAllowed } from "../auth/access-policy.ts";
import type { Caller } from "../auth/caller.ts";
import {
  BadRequestError,
  ConnectionAccessDeniedError,
  UnauthorizedError,
  ConnectionNotFoundError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  ForcedRefreshNotEnabledError,
  ProxyOnlyError,
  UnsupportedMediaTypeError,
} from "../errors.ts";
import { proxyRequest } from "../proxy/proxy-request.ts";
import { type AuditNote, credentialNote, noteAudit } from "../audit/audit-record.ts";
import { type HttpResponse, json } from "./responses.ts";
import { allowedMethods, ROUTES, type RouteKey } from "./routes.ts";

/** The transport-neutral request the token function serves (API Gateway v2 and local alike). */
export interface ApiRequest {
  routeKey: RouteKey | "$default";
  /** Verified by the gateway's authorizer; absent on public routes (and never on broker routes in AWS). */
  caller?: Caller;
  method: string;
  path: string;
  pathParameters?: Record<string, string | undefined>;
  headers: Record<string, string | undefined>;
  body?: string;
  /** The path as sent (percent-encoding intact) and the raw query string: the proxy route's input. */
  rawPath?: string;
  rawQuery?: string;
  /** The body as bytes (binary-safe), for the proxy route. */
  rawBody?: Buffer;
  /** The request's audit record in the making: the routes add what they decide. */
  audit?: AuditNote;
}

export const MAX_BODY_BYTES = 4 * 1024;

/** A tokenId as the token route hands it out (see tokenIdOf). */
const TOKEN_ID = /^[A-Za-z0-9_-]{22}$/;

/**
 * The token request body: empty, or the id of a token the upstream rejected (forced refresh,
 * opt-in per connection). Strict, so that a typo'd option is an error, not ignored. Checked by
 * hand: the deployed function carries no schema library.
 */
function tokenRequestBody(parsed: unknown): { rejectedTokenId?: string } {
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new BadRequestError("The request body must be a JSON object.");
  }
  const unknown = Object.keys(parsed).filter((key) => key !== "rejectedTokenId");
  if (unknown.length > 0) {
    throw new BadRequestError(
      `Invalid request body: ${unknown.length} unknown field(s); allowed: rejectedTokenId.`,
    );
  }
  const { rejectedTokenId } = parsed as { rejectedTokenId?: unknown };
  if (rejectedTokenId === undefined) return {};
  if (typeof rejectedTokenId !== "string" || !TOKEN_ID.test(rejectedTokenId)) {
    throw new BadRequestError(
      "Invalid request body at rejectedTokenId: must be a tokenId from a previous answer.",
    );
  }
  return { rejectedTokenId };
}

export async function handleApiRequest(broker: Broker, request: ApiRequest): Promise<HttpResponse> {
  switch (request.routeKey) {
    case ROUTES.health:
      return json(200, { status: "ok" });
    case ROUTES.listConnections: {
      const caller = requireCaller(request);
      return json(200, {
        connections: broker.listConnections().filter((c) => isAllowed(broker.accessPolicy(c.name), caller)),
      });
    }
    case ROUTES.token:
      return token(broker, request);
    case ROUTES.proxy:
      return proxy(broker, request);
    default:
      return notRouted(request);
  }
}

async function token(broker: Broker, request: ApiRequest): Promise<HttpResponse> {
  const name = request.pathParameters?.name ?? "";
  const caller = requireCaller(request);
  if (!CONNECTION_NAME.test(name) || !broker.has(name)) throw new ConnectionNotFoundError();
  noteAudit(request.audit, { connection: name });
  if (!isAllowed(broker.accessPolicy(name), caller)) throw new ConnectionAccessDeniedError();
  const config = broker.connection(name);
  if (config?.delivery === "proxy") throw new ProxyOnlyError();
  const { rejectedTokenId } = parseBody(request);
  if (rejectedTokenId !== undefined && !config?.forcedRefresh) throw new ForcedRefreshNotEnabledError();
  const credential = await broker.getCredential(
    name,
    rejectedTokenId === undefined ? {} : { rejectedTokenId, callerReported: true },
  );
  noteAudit(request.audit, { credential: credentialNote(credential) });
  const now = broker.now();
  return json(200, {
    connection: name,
    headers: credential.headers,
    expiresAt: new Date(credential.expiresAt).toISOString(),
    expiresIn: Math.max(0, Math.floor((credential.expiresAt - now) / 1000)),
    ...(credential.tokenId ? { tokenId: credential.tokenId } : {}),
  });
}

/** Same caller and access checks as the token route, then the proxy (lib/proxy). */
async function proxy(broker: Broker, request: ApiRequest): Promise<HttpResponse> {
  const name = request.pathParameters?.name ?? "";
  const caller = requireCaller(request);
  if (!CONNECTION_NAME.test(name) || !broker.has(name)) throw new ConnectionNotFoundError();
  noteAudit(request.audit, { connection: name });
  if (!isAllowed(broker.accessPolicy(name), caller)) throw new ConnectionAccessDeniedError();
  const rawPath = /^\/v1\/connections\/[^/]+\/proxy\/(.*)$/s.exec(request.rawPath ?? request.path)?.[1] ?? "";
  return proxyRequest(broker, {
    connection: name,
    method: request.method,
    rawPath,
    rawQuery: request.rawQuery ?? "",
    headers: request.headers,
    body: request.rawBody ?? Buffer.from(request.body ?? "", "utf8"),
    ...(request.audit ? { audit: request.audit } : {}),
  });
}

function requireCaller(request: ApiRequest): Caller {
  // Defence in depth: in AWS the JWT authorizer rejects such requests before they get here.
  if (!request.caller)
    throw new UnauthorizedError("This route needs the caller's access token.", { tokenRefused: false });
  return request.caller;
}

function parseBody(request: ApiRequest): { rejectedTokenId?: string } {
  const body = request.body ?? "";
  // Size and media type first: a blank body is "no body" only when it is also small and JSON.
  if (Buffer.byteLength(body) > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(`Request bodies are limited to ${MAX_BODY_BYTES} bytes.`);
  }
  if (body === "") return {};
  const contentType = (request.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  if (contentType !== "application/json") {
    throw new UnsupportedMediaTypeError("Send the request body as application/json (or send no body).");
  }
  if (body.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new BadRequestError("The request body is not valid JSON.");
  }
  return tokenRequestBody(parsed);
}

/** Unknown path: 404; a known path with the wrong method: 405 with Allow. */
function notRouted(request: ApiRequest): HttpResponse {
  try {
    decodeURIComponent(request.path);
  } catch {
    throw new NotFoundError("No such route.");
  }
  const allow = allowedMethods(request.path);
  if (allow.length > 0) throw new MethodNotAllowedError(allow);
  throw new NotFoundError("No such route.");
}

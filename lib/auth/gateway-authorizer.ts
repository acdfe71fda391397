import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { BrokerError } from "../errors.ts";
import { type Caller, verifiedCaller } from "./caller.ts";

/**
 * Where the local gateway puts its authorizer's rejection (a BrokerError) in the event, so the
 * handler answers it like any problem. A symbol: JSON from API Gateway can never carry one.
 */
export const LOCAL_REJECTION = Symbol.for("token-broker.local-authorizer-rejection");

/** What API Gateway's JWT authorizer (or the local one) leaves in the event. */
interface AuthorizerContext {
  jwt?: { claims?: Record<string, unknown>; scopes?: string[] | null };
  [LOCAL_REJECTION]?: unknown;
}

/** The claims the authorizer verified, if it verified a caller token (the audit trail names the caller by them). */
export function verifiedClaims(event: APIGatewayProxyEventV2): Record<string, unknown> | undefined {
  return (event.requestContext as { authorizer?: AuthorizerContext }).authorizer?.jwt?.claims;
}

/**
 * The caller of a request, from what the authorizer verified: the JWT's claims and scopes; the
 * anonymous caller only with the local opt-in; undefined when there is none (the routes answer
 * 401). A rejection by the local authorizer is thrown, to be answered like every other problem.
 */
export function callerOf(
  event: APIGatewayProxyEventV2,
  options: { allowAnonymous: boolean },
): Caller | undefined {
  const authorizer = (event.requestContext as { authorizer?: AuthorizerContext }).authorizer;
  const rejection = authorizer?.[LOCAL_REJECTION];
  if (rejection instanceof BrokerError) throw rejection;
  const jwt = authorizer?.jwt;
  if (jwt?.claims) return verifiedCaller(jwt.claims, jwt.scopes);
  return options.allowAnonymous ? { kind: "anonymous" } : undefined;
}

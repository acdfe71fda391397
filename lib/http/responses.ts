import { type BrokerError, MethodNotAllowedError, UnauthorizedError } from "../errors.ts";
import { redactReplacer } from "../observability/redact.ts";

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  /** The body is base64 (proxied bodies: binary-safe through API Gateway and Lambda). */
  isBase64Encoded?: boolean;
}

/** Every broker response may carry a credential or reveal one's absence: never cache, never sniff. */
export const BASE_HEADERS: Readonly<Record<string, string>> = {
  "cache-control": "no-store",
  pragma: "no-cache",
  "x-content-type-options": "nosniff",
};

export function json(statusCode: number, body: unknown): HttpResponse {
  return {
    statusCode,
    headers: { ...BASE_HEADERS, "content-type": "application/json" },
    body: JSON.stringify(body),
  };
}

/** RFC 9457 problem+json; `requestId` lets an operator find the log lines for it. */
export function problem(error: BrokerError, requestId?: string): HttpResponse {
  const headers: Record<string, string> = { ...BASE_HEADERS, "content-type": "application/problem+json" };
  if (error.retryAfterSeconds !== undefined) headers["retry-after"] = String(error.retryAfterSeconds);
  if (error instanceof MethodNotAllowedError) headers.allow = error.allow.join(", ");
  // RFC 6750 3: tell a Bearer client what went wrong with its token (if it sent one).
  if (error instanceof UnauthorizedError) headers["www-authenticate"] = error.challenge;
  return {
    statusCode: error.status,
    headers,
    // The redacting replacer: a problem body is outside-facing, like a log line.
    body: JSON.stringify({ ...error.toProblem(), ...(requestId ? { requestId } : {}) }, redactReplacer),
  };
}

import { ProxyResponseTooLargeError, UpstreamTimeoutError, UpstreamUnavailableError } from "../errors.ts";
import { readCapped } from "./read-capped.ts";

export interface ForwardRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: Buffer;
  timeoutMs: number;
  maxResponseBytes: number;
}

export interface ForwardResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

/**
 * One proxied call, passed through as the upstream answered it (any status, binary body). Unlike
 * HttpClient (token requests), nothing is retried here and no status is an error: the caller sees
 * the upstream's answer. Redirects are returned, never followed (they would carry the injected
 * credential elsewhere); the body is capped; the whole call is bounded by the timeout.
 */
export async function forward(
  request: ForwardRequest,
  fetchImpl: typeof fetch = fetch,
): Promise<ForwardResponse> {
  const host = request.url.host;
  const signal = AbortSignal.timeout(request.timeoutMs);
  const timeout = () =>
    new UpstreamTimeoutError(`Upstream ${host} did not answer within ${request.timeoutMs} ms.`);
  let response: Response;
  try {
    response = await fetchImpl(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body && request.body.length > 0 ? { body: request.body } : {}),
      redirect: "manual",
      signal,
    });
  } catch (error) {
    if (signal.aborted) throw timeout();
    throw new UpstreamUnavailableError(`Upstream ${host} is unreachable.`, { cause: error });
  }
  const tooLarge = () =>
    new ProxyResponseTooLargeError(
      `Upstream ${host} answered with more than ${request.maxResponseBytes} bytes.`,
      {
        upstreamStatus: response.status,
      },
    );
  let body: Buffer;
  try {
    body = await readCapped(response, request.maxResponseBytes, tooLarge);
  } catch (error) {
    if (error instanceof ProxyResponseTooLargeError) throw error;
    if (signal.aborted) throw timeout();
    throw new UpstreamUnavailableError(`Upstream ${host} closed the connection mid-response.`, {
      cause: error,
    });
  }
  return { status: response.status, headers: response.headers, body };
}

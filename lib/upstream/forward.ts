import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { ProxyResponseTooLargeError, UpstreamTimeoutError, UpstreamUnavailableError } from "../errors.ts";
import { readCapped } from "./read-capped.ts";

export interface ForwardRequest {
  /** The upstream's origin: scheme, host and port. */
  origin: URL;
  /** Path and query exactly as they go on the request line. */
  requestTarget: string;
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

/** Statuses whose answer has no body (a Response refuses one). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * One proxied call, passed through as the upstream answered it (any status, binary body). Unlike
 * HttpClient (token requests), nothing is retried here and no status is an error: the caller sees
 * the upstream's answer. Sent with node:http(s), not fetch: fetch re-serializes the URL, and the
 * request target must reach the upstream byte for byte (signed paths and queries). The modules are
 * imported on the first proxied call, so a cold start that proxies nothing never loads them.
 * Redirects are returned, never followed (they would carry the injected credential elsewhere);
 * nothing is decompressed (`accept-encoding: identity`); the body is capped; the whole call is
 * bounded by the timeout.
 */
export async function forward(request: ForwardRequest): Promise<ForwardResponse> {
  const host = request.origin.host;
  const signal = AbortSignal.timeout(request.timeoutMs);
  const timeout = () =>
    new UpstreamTimeoutError(`Upstream ${host} did not answer within ${request.timeoutMs} ms.`);
  const unreachable = (cause: unknown) =>
    new UpstreamUnavailableError(`Upstream ${host} is unreachable.`, { cause });
  const { request: send } =
    request.origin.protocol === "https:" ? await import("node:https") : await import("node:http");
  const body = request.body && request.body.length > 0 ? request.body : undefined;
  let incoming: IncomingMessage;
  try {
    incoming = await new Promise<IncomingMessage>((resolve, reject) => {
      const outgoing = send(
        {
          protocol: request.origin.protocol,
          hostname: request.origin.hostname.replace(/^\[|\]$/g, ""),
          port: request.origin.port || undefined,
          method: request.method,
          path: request.requestTarget,
          headers: {
            ...request.headers,
            "accept-encoding": "identity",
            ...(body ? { "content-length": String(body.length) } : {}),
          },
          signal,
        },
        resolve,
      );
      outgoing.on("error", reject);
      outgoing.end(body);
    });
  } catch (error) {
    if (signal.aborted) throw timeout();
    throw unreachable(error);
  }
  const status = incoming.statusCode ?? 0;
  if (status < 200 || status > 599) {
    incoming.destroy();
    throw unreachable(new Error(`status ${status}`));
  }
  const headers = new Headers();
  for (let i = 0; i + 1 < incoming.rawHeaders.length; i += 2) {
    headers.append(incoming.rawHeaders[i] as string, incoming.rawHeaders[i + 1] as string);
  }
  const response = new Response(
    NULL_BODY.has(status) ? null : (Readable.toWeb(incoming) as ReadableStream<Uint8Array>),
    { status, headers },
  );
  const tooLarge = () =>
    new ProxyResponseTooLargeError(
      `Upstream ${host} answered with more than ${request.maxResponseBytes} bytes.`,
      {
        upstreamStatus: status,
      },
    );
  let bytes: Buffer;
  try {
    bytes = await readCapped(response, request.maxResponseBytes, tooLarge);
  } catch (error) {
    incoming.destroy();
    if (error instanceof ProxyResponseTooLargeError) throw error;
    if (signal.aborted) throw timeout();
    throw new UpstreamUnavailableError(`Upstream ${host} closed the connection mid-response.`, {
      cause: error,
    });
  }
  return { status, headers, body: bytes };
}

/**
 * The token broker's browser client: zero dependencies, memory only (a credential is never written
 * to localStorage, sessionStorage, cookies or IndexedDB). It fetches credentials from the broker,
 * caches each until `expiresAt` minus a skew, de-duplicates concurrent requests for a connection,
 * renews the caller's own token once on the broker's 401, honours 503 + Retry-After with a bounded
 * retry, and wraps `fetch` for both delivery modes. An answer that passed through the proxy (marked
 * `x-broker-proxied`) is the upstream's: it reaches the page untouched, whatever its status or
 * media type, and never causes a renewal or a second send.
 */

import type { components } from "./openapi.ts";

// The answers' shapes come from the API contract (docs/openapi.json, generated into openapi.ts at
// build time), so the client and the contract cannot drift.

/** A credential as `POST /v1/connections/{name}/token` returns it. */
export type Credential = components["schemas"]["Credential"];

/** A connection as `GET /v1/connections` lists it, with its delivery and exposure class. */
export type ConnectionSummary = components["schemas"]["ConnectionSummary"];

/** The broker's own RFC 9457 problem body. */
export type Problem = components["schemas"]["Problem"];

export interface BrokerClientOptions {
  /** The broker's base URL, e.g. https://abc.execute-api.eu-west-1.amazonaws.com. */
  baseUrl: string;
  /**
   * The caller's access token from the app's own sign-in (Cognito, Auth0, any OIDC). Called for
   * every broker request; with `forceRefresh` once after the broker answered 401.
   */
  getAccessToken: (options: { forceRefresh: boolean }) => Promise<string>;
  /** A credential is reused until this long before its expiry (default 5 s). */
  skewSeconds?: number;
  /** Retries of a 503 that carries Retry-After (default 2), each waiting at most `maxRetryDelayMs`. */
  maxRetries?: number;
  /** A longer Retry-After is not waited for: the problem is thrown (default 5000). */
  maxRetryDelayMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Every failure the broker reports, with its RFC 9457 problem type, status and request id. */
export class BrokerProblemError extends Error {
  override name = "BrokerProblemError";
  readonly type: string;
  readonly status: number;
  readonly title: string | undefined;
  readonly detail: string | undefined;
  readonly requestId: string | undefined;
  /** Seconds, from Retry-After, when the broker sent one. */
  readonly retryAfter: number | undefined;
  constructor(problem: {
    type: string;
    status: number;
    title?: string;
    detail?: string;
    requestId?: string;
    retryAfter?: number;
  }) {
    super(problem.detail ?? problem.title ?? `The broker answered ${problem.status} (${problem.type}).`);
    this.type = problem.type;
    this.status = problem.status;
    this.title = problem.title;
    this.detail = problem.detail;
    this.requestId = problem.requestId;
    this.retryAfter = problem.retryAfter;
  }
}

const PROBLEM = "urn:token-broker:problem:";

/** The header the broker sets on every answer that passed through its proxy, and on no other. */
export const PROXIED_HEADER = "x-broker-proxied";

/** RFC 9110 9.2.2: what may be sent twice with the effect of once. */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

interface Cached {
  credential: Credential;
  expiresAtMs: number;
}

/** One broker request shared by every concurrent caller of a connection; cancelled when all leave. */
interface Flight {
  promise: Promise<Cached>;
  controller: AbortController;
  /** Callers still waiting; a caller without a signal never leaves. */
  waiting: number;
}

export class BrokerClient {
  readonly #baseUrl: string;
  readonly #getAccessToken: BrokerClientOptions["getAccessToken"];
  readonly #skewMs: number;
  readonly #maxRetries: number;
  readonly #maxRetryDelayMs: number;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #cache = new Map<string, Cached>();
  readonly #inflight = new Map<string, Flight>();

  constructor(options: BrokerClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#getAccessToken = options.getAccessToken;
    this.#skewMs = (options.skewSeconds ?? 5) * 1000;
    this.#maxRetries = options.maxRetries ?? 2;
    this.#maxRetryDelayMs = options.maxRetryDelayMs ?? 5000;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? sleep;
  }

  /** The connections this caller may use. */
  async connections(options: { signal?: AbortSignal } = {}): Promise<ConnectionSummary[]> {
    const response = await this.#broker("GET", "/v1/connections", options.signal);
    return ((await response.json()) as components["schemas"]["ConnectionList"]).connections;
  }

  /**
   * A credential for the connection: from memory while it has more than the skew left, otherwise
   * from the broker, one request however many callers ask at once.
   */
  async credential(
    connection: string,
    options: { signal?: AbortSignal; rejectedTokenId?: string } = {},
  ): Promise<Credential> {
    options.signal?.throwIfAborted();
    const { rejectedTokenId } = options;
    const cached = this.#cache.get(connection);
    const rejected = rejectedTokenId !== undefined && cached?.credential.tokenId === rejectedTokenId;
    if (cached && !rejected && cached.expiresAtMs - this.#skewMs > this.#now()) return cached.credential;
    let flight = this.#inflight.get(connection);
    // A flight every caller left is being cancelled: a newcomer starts its own.
    if (!flight || flight.controller.signal.aborted) {
      // Shared by every waiter, so one caller's abort never cancels the others' request; once all
      // of them have left, nobody needs the answer and its retries stop.
      const controller = new AbortController();
      const promise = this.#obtain(connection, rejected ? rejectedTokenId : undefined, controller.signal);
      flight = { promise, controller, waiting: 0 };
      const started = flight;
      this.#inflight.set(connection, started);
      void promise.then(
        () => this.#settle(connection, started),
        () => this.#settle(connection, started),
      );
    }
    return (await this.#wait(flight, options.signal)).credential;
  }

  #settle(connection: string, flight: Flight): void {
    if (this.#inflight.get(connection) === flight) this.#inflight.delete(connection);
  }

  #wait(flight: Flight, signal: AbortSignal | undefined): Promise<Cached> {
    flight.waiting++;
    if (!signal) return flight.promise;
    const leave = () => {
      if (--flight.waiting === 0) flight.controller.abort(signal.reason);
    };
    return abortable(flight.promise, signal, leave);
  }

  /**
   * Headers mode: `fetch` to the upstream with the connection's credential headers attached. An
   * upstream 401 on an exchanged token is reported to the broker (by tokenId; connections with
   * `forcedRefresh`) and the call retried once with the new credential.
   */
  async fetch(connection: string, input: string | URL, init: RequestInit = {}): Promise<Response> {
    const signal = init.signal ?? undefined;
    const send = (credential: Credential) => {
      const merged = new Headers(init.headers);
      for (const [name, value] of Object.entries(credential.headers)) merged.set(name, value);
      return this.#fetch(input, { ...init, headers: merged });
    };
    const credential = await this.credential(connection, signal ? { signal } : {});
    const response = await send(credential);
    if (response.status !== 401 || credential.tokenId === undefined) return response;
    const renewed = await this.credential(connection, {
      rejectedTokenId: credential.tokenId,
      ...(signal ? { signal } : {}),
    }).catch(() => undefined);
    if (!renewed || renewed.tokenId === credential.tokenId) return response;
    return send(renewed);
  }

  /**
   * Proxy mode: the broker calls the upstream (`{proxy.baseUrl}/{path}`) with the credential, which
   * never reaches the page. The upstream's own answer (marked `x-broker-proxied`) is returned as
   * it came, body unread, whatever its status; the broker's problems (refused path, upstream down)
   * are thrown as BrokerProblemError. A request the upstream may have acted on is never sent twice:
   * only the broker's own refusals (caller token, 503 + Retry-After) are retried, and a network
   * error only for idempotent methods.
   */
  async proxy(connection: string, path: string, init: RequestInit = {}): Promise<Response> {
    const target = `/v1/connections/${encodeURIComponent(connection)}/proxy/${path.replace(/^\/+/, "")}`;
    const method = (init.method ?? "GET").toUpperCase();
    return this.#broker(method, target, init.signal ?? undefined, init, {
      proxied: true,
      resendOnNetworkError: IDEMPOTENT.has(method),
    });
  }

  /** Forgets cached credentials (sign-out). */
  clear(): void {
    this.#cache.clear();
  }

  async #obtain(
    connection: string,
    rejectedTokenId: string | undefined,
    signal: AbortSignal,
  ): Promise<Cached> {
    const response = await this.#broker(
      "POST",
      `/v1/connections/${encodeURIComponent(connection)}/token`,
      signal,
      rejectedTokenId === undefined
        ? {}
        : { headers: { "content-type": "application/json" }, body: JSON.stringify({ rejectedTokenId }) },
    );
    const credential = (await response.json()) as Credential;
    const cached = { credential, expiresAtMs: Date.parse(credential.expiresAt) };
    this.#cache.set(connection, cached);
    return cached;
  }

  /**
   * One broker call: caller token attached, renewed once on the broker's 401, 503 + Retry-After
   * retried a bounded number of times; any other problem thrown as BrokerProblemError. With
   * `proxied`, an answer carrying the proxy's mark is the upstream's and is returned untouched.
   */
  async #broker(
    method: string,
    path: string,
    signal?: AbortSignal,
    init: RequestInit = {},
    options: { proxied?: boolean; resendOnNetworkError?: boolean } = {},
  ): Promise<Response> {
    const { proxied = false, resendOnNetworkError = true } = options;
    let forceRefresh = false;
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted();
      const token = await this.#getAccessToken({ forceRefresh });
      const headers = new Headers(init.headers);
      headers.set("authorization", `Bearer ${token}`);
      let response: Response;
      try {
        response = await this.#fetch(`${this.#baseUrl}${path}`, {
          ...init,
          method,
          headers,
          ...(signal ? { signal } : {}),
        });
      } catch (error) {
        // API Gateway's own 401 may lack CORS headers: the browser then reports a network error.
        // Renew the caller token once, as for a 401 it could read, unless the request may have
        // reached an upstream that acted on it.
        if (forceRefresh || signal?.aborted || !resendOnNetworkError) throw error;
        forceRefresh = true;
        continue;
      }
      if (proxied && response.headers.get(PROXIED_HEADER) !== null) return response;
      const problem = await readProblem(response);
      if (!problem) {
        if (response.ok || proxied) return response;
        // Not a problem document: API Gateway's own {"message": ...} answers, say.
        throw new BrokerProblemError({ type: "about:blank", status: response.status });
      }
      if (problem.status === 401 && !forceRefresh) {
        forceRefresh = true;
        continue;
      }
      if (problem.status === 503 && problem.retryAfter !== undefined && attempt < this.#maxRetries) {
        const delay = problem.retryAfter * 1000;
        if (delay <= this.#maxRetryDelayMs) {
          await this.#sleep(delay, signal);
          continue;
        }
      }
      throw problem;
    }
  }
}

/**
 * A broker problem (problem+json with our type, or API Gateway's bare 401/403), else undefined.
 * Reads a clone: an answer that is not a problem reaches the caller with its body unread.
 */
async function readProblem(response: Response): Promise<BrokerProblemError | undefined> {
  const contentType = response.headers.get("content-type") ?? "";
  const retryAfterHeader = response.headers.get("retry-after");
  const retryAfter =
    retryAfterHeader !== null && /^\d+$/.test(retryAfterHeader) ? Number(retryAfterHeader) : undefined;
  if (contentType.startsWith("application/problem+json")) {
    const body = (await response
      .clone()
      .json()
      .catch(() => ({}))) as Record<string, unknown>;
    const type = typeof body.type === "string" ? body.type : "about:blank";
    // Only the broker's own types: a proxied upstream may send problem documents of its own.
    if (type.startsWith(PROBLEM)) {
      return new BrokerProblemError({
        type,
        status: response.status,
        ...(typeof body.title === "string" ? { title: body.title } : {}),
        ...(typeof body.detail === "string" ? { detail: body.detail } : {}),
        ...(typeof body.requestId === "string" ? { requestId: body.requestId } : {}),
        ...(retryAfter !== undefined ? { retryAfter } : {}),
      });
    }
  }
  // API Gateway's JWT authorizer answers {"message":"Unauthorized"} itself, before the broker.
  if ((response.status === 401 || response.status === 403) && contentType.startsWith("application/json")) {
    const body = (await response
      .clone()
      .json()
      .catch(() => undefined)) as { message?: unknown } | undefined;
    if (body && typeof body.message === "string" && Object.keys(body).length === 1) {
      return new BrokerProblemError({ type: "about:blank", status: response.status, title: body.message });
    }
  }
  return undefined;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

/** The promise, or the signal's reason once it aborts (`onAbort` then runs once). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal, left: () => void): Promise<T> {
  if (signal.aborted) {
    left();
    return Promise.reject(signal.reason);
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      left();
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

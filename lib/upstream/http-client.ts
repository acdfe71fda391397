import {
  type BrokerError,
  UpstreamError,
  UpstreamInvalidResponseError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from "../errors.ts";
import { parseRetryAfter } from "./retry-after.ts";
import { readCapped } from "./read-capped.ts";

export interface UpstreamRequest {
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
}

export interface UpstreamResponse {
  status: number;
  headers: Headers;
  /** Raw body text, at most `maxBodyBytes`. Never log or echo it: it may hold credentials. */
  text: string;
  /**
   * How long after `send` was called the attempt that answered was sent (retries and their
   * waits): a lifetime the upstream declares counts from that attempt, not from the first.
   */
  sentAfterMs: number;
}

export interface HttpClientOptions {
  /** Per attempt, covering connect, headers and body. */
  timeoutMs: number;
  /** Total attempts for network errors, 429 and 5xx (1 = no retry). */
  maxAttempts: number;
  /** Upper bound of one backoff delay; a longer Retry-After ends the retries. */
  maxDelayMs: number;
  baseDelayMs: number;
  maxBodyBytes: number;
}

export const DEFAULT_HTTP_OPTIONS: HttpClientOptions = {
  timeoutMs: 5_000,
  maxAttempts: 3,
  baseDelayMs: 100,
  maxDelayMs: 2_000,
  maxBodyBytes: 64 * 1024,
};

export interface HttpClientDeps {
  fetch?: typeof fetch;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const sleepWithTimer = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The only way the broker talks to upstreams. Timeouts on every attempt, bounded retries with full
 * jitter on network errors, 429 and 5xx (honouring Retry-After), redirects never followed (they
 * would carry credentials elsewhere), bodies size-capped. 4xx answers are returned for the scheme
 * to interpret; everything else that goes wrong becomes a 502/503/504 BrokerError whose message
 * names the host, never the body.
 */
export class HttpClient {
  readonly options: HttpClientOptions;
  readonly #fetch: typeof fetch;
  readonly #random: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => number;

  constructor(options: Partial<HttpClientOptions> = {}, deps: HttpClientDeps = {}) {
    this.options = { ...DEFAULT_HTTP_OPTIONS, ...options };
    this.#fetch = deps.fetch ?? fetch;
    this.#random = deps.random ?? Math.random;
    this.#sleep = deps.sleep ?? sleepWithTimer;
    this.#now = deps.now ?? Date.now;
  }

  /**
   * `idempotent: false` (a refresh that rotates its token): retried only when the upstream cannot
   * have processed it (connection refused, 429, 503); any other failure is thrown at once (its
   * `upstreamMayHaveProcessed` set where it was made), because replaying it could spend a credential twice.
   */
  async send(request: UpstreamRequest, options: { idempotent?: boolean } = {}): Promise<UpstreamResponse> {
    const host = hostOf(request.url);
    const { maxAttempts } = this.options;
    const started = this.#now();
    for (let attempt = 1; ; attempt++) {
      let failure: RetryableFailure;
      try {
        const sentAfterMs = this.#now() - started;
        const response = { ...(await this.#attempt(request, host)), sentAfterMs };
        if (response.status < 500 && response.status !== 429) return response;
        failure = statusFailure(response, host, this.#now());
      } catch (error) {
        if (!(error instanceof RetryableFailure)) throw error;
        failure = error;
      }
      if (options.idempotent === false && failure.final.upstreamMayHaveProcessed) throw failure.final;
      const delay = this.#backoff(attempt, failure.retryAfterMs);
      if (attempt >= maxAttempts || delay === undefined) throw failure.final;
      await this.#sleep(delay);
    }
  }

  /** Full jitter (AWS architecture blog), or the upstream's Retry-After when it fits the cap. */
  #backoff(attempt: number, retryAfterMs: number | undefined): number | undefined {
    const { baseDelayMs, maxDelayMs } = this.options;
    if (retryAfterMs !== undefined) {
      if (retryAfterMs > maxDelayMs) return undefined;
      return retryAfterMs + Math.floor(this.#random() * baseDelayMs);
    }
    return Math.floor(this.#random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
  }

  async #attempt(request: UpstreamRequest, host: string): Promise<Omit<UpstreamResponse, "sentAfterMs">> {
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    let response: Response;
    try {
      response = await this.#fetch(request.url, {
        method: request.method ?? "POST",
        headers: request.headers,
        body: request.body,
        redirect: "manual",
        signal,
      });
    } catch (error) {
      if (signal.aborted) throw new RetryableFailure(this.#timeout(host, error));
      const code = networkCode(error);
      throw new RetryableFailure(
        new UpstreamUnavailableError(`Upstream ${host} is unreachable (${code}).`, {
          cause: error,
          upstreamMayHaveProcessed: !NOT_SENT.has(code),
        }),
      );
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw new UpstreamError(
        `Upstream ${host} answered with a redirect (${response.status}); not followed.`,
        {
          upstreamStatus: response.status,
        },
      );
    }
    let text: string;
    try {
      const max = this.options.maxBodyBytes;
      text = (await readCapped(response, max, () => tooLarge(max))).toString("utf8");
    } catch (error) {
      if (error instanceof UpstreamError) throw error;
      if (signal.aborted) throw new RetryableFailure(this.#timeout(host, error));
      throw new RetryableFailure(
        new UpstreamUnavailableError(`Upstream ${host} closed the connection mid-response.`, {
          cause: error,
          upstreamMayHaveProcessed: true,
        }),
      );
    }
    return { status: response.status, headers: response.headers, text };
  }

  #timeout(host: string, cause: unknown) {
    return new UpstreamTimeoutError(`Upstream ${host} did not answer within ${this.options.timeoutMs} ms.`, {
      cause,
      upstreamMayHaveProcessed: true,
    });
  }
}

/** Network errors raised before the request could leave this machine. */
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

class RetryableFailure extends Error {
  readonly final: BrokerError;
  readonly retryAfterMs: number | undefined;
  constructor(final: BrokerError, options: { retryAfterMs?: number | undefined } = {}) {
    super(final.message);
    this.final = final;
    this.retryAfterMs = options.retryAfterMs;
  }
}

function statusFailure(
  response: Omit<UpstreamResponse, "sentAfterMs">,
  host: string,
  now: number,
): RetryableFailure {
  const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), now);
  const details = { upstreamStatus: response.status };
  if (response.status === 429 || response.status === 503) {
    const error = new UpstreamUnavailableError(
      response.status === 429
        ? `Upstream ${host} is rate limiting the broker (429).`
        : `Upstream ${host} is unavailable (503).`,
    );
    error.extensions.upstreamStatus = response.status;
    if (retryAfterMs !== undefined) error.retryAfterSeconds = Math.ceil(retryAfterMs / 1000);
    return new RetryableFailure(error, { retryAfterMs });
  }
  return new RetryableFailure(
    new UpstreamError(`Upstream ${host} failed with HTTP ${response.status}.`, details, {
      upstreamMayHaveProcessed: true,
    }),
    { retryAfterMs },
  );
}

function tooLarge(maxBytes: number) {
  return new UpstreamInvalidResponseError(`Upstream response body exceeds ${maxBytes} bytes.`);
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "(invalid url)";
  }
}

function networkCode(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === "string" ? cause.code : "network error";
}

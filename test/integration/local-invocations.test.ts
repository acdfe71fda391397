import middy from "@middy/core";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { serveLocally, serverUrl } from "../../lib/http/local-gateway.ts";
import type { HttpResponse } from "../../lib/http/responses.ts";
import { scopeInvocationsLikeLambda } from "../../lib/local/invocation-scope.ts";
import { logger } from "../../lib/observability/logger.ts";

/**
 * Concurrent requests in one local process keep their own log context, as Lambda Managed
 * Instances keep concurrent invocations apart: one request's lines never carry another's id.
 */
let url = "";
let close: () => Promise<void> = async () => {};
const gates = new Map<string, () => void>();

beforeAll(async () => {
  process.env.AWS_LAMBDA_MAX_CONCURRENCY = "64"; // as bin/local-server.ts and Lambda set it
  await scopeInvocationsLikeLambda();
  const handler = middy<APIGatewayProxyEventV2, HttpResponse, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event) => {
      const name = event.rawPath.slice(1);
      logger.appendKeys({ caller: name });
      await new Promise<void>((resolve) => gates.set(name, resolve));
      logger.warn("done", { name });
      return { statusCode: 200, headers: {}, body: name };
    });
  const server = await serveLocally(handler as never, 0);
  url = serverUrl(server);
  close = () => new Promise((resolve) => server.close(() => resolve()));
});
afterAll(() => close());

describe("local gateway: one invocation context per request", () => {
  it("two interleaved requests log their own request id and keys", async () => {
    const lines: Record<string, unknown>[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      for (const line of String(chunk).split("\n")) if (line.startsWith("{")) lines.push(JSON.parse(line));
      return true;
    });
    try {
      const first = fetch(`${url}/first`);
      await vi.waitFor(() => expect(gates.has("first")).toBe(true));
      const second = fetch(`${url}/second`);
      await vi.waitFor(() => expect(gates.has("second")).toBe(true));
      gates.get("second")?.(); // the later request finishes first
      await second;
      gates.get("first")?.();
      await first;
    } finally {
      vi.restoreAllMocks();
    }
    const done = lines.filter((l) => l.message === "done");
    expect(done).toHaveLength(2);
    const ids = new Set(done.map((l) => l.function_request_id));
    expect(ids.size).toBe(2);
    for (const line of done) expect(line.caller).toBe(line.name);
  });
});

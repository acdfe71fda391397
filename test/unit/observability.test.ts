import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createTokenHandler } from "../../functions/token/handler.ts";
import type { Broker } from "../../lib/broker.ts";
import { logger } from "../../lib/observability/logger.ts";
import { countConnectionMetric, metrics } from "../../lib/observability/metrics.ts";
import { REDACTED, registerSensitive } from "../../lib/observability/redact.ts";
import { readSettings } from "../../lib/runtime/settings.ts";

/** Every line the logger writes (stdout and stderr), parsed. */
function captureLines() {
  const lines: string[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
  }
  return () =>
    lines
      .flatMap((l) => l.split("\n"))
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const context = {
  awsRequestId: "fn-req-1",
  functionName: "token",
  invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:token",
  memoryLimitInMB: "512",
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

const event = (origin?: string) =>
  ({
    version: "2.0",
    routeKey: "GET /health",
    rawPath: "/health",
    rawQueryString: "",
    headers: origin ? { origin } : {},
    requestContext: {
      http: { method: "GET", path: "/health" },
      requestId: "apigw-req-42",
      routeKey: "GET /health",
    },
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEventV2;

afterEach(() => {
  vi.restoreAllMocks();
  logger.setLogLevel("WARN");
});

describe("the logger (Powertools Logger with the redaction replacer)", () => {
  it("writes Powertools' shape and redacts registered values and credential-named keys", () => {
    const read = captureLines();
    logger.setLogLevel("INFO");
    registerSensitive("observability-unit-secret-77");
    logger.info("saw observability-unit-secret-77", { authorization: "Bearer x", connection: "demo" });
    const [line] = read();
    expect(line).toMatchObject({ level: "INFO", service: "token-broker", connection: "demo" });
    expect(line?.message).toBe(`saw ${REDACTED}`);
    expect(line?.authorization).toBe(REDACTED);
  });

  it("serializes an Error, a BigInt and a circular object instead of throwing or writing {}", () => {
    const read = captureLines();
    const circular: Record<string, unknown> = { name: "loop" };
    circular.self = circular;
    expect(() =>
      logger.error("odd values", { error: new TypeError("broke"), big: 10n ** 20n, circular }),
    ).not.toThrow();
    const [line] = read();
    expect(line?.error).toMatchObject({ name: "TypeError", message: "broke" });
    expect(line?.big).toBe("100000000000000000000");
    expect(line?.circular).toEqual({ name: "loop" });
  });

  it("knows TRACE and CRITICAL", () => {
    const read = captureLines();
    logger.setLogLevel("TRACE");
    logger.trace("fine detail");
    logger.critical("page someone");
    expect(read().map((l) => l.level)).toEqual(["TRACE", "CRITICAL"]);
  });
});

describe("the token handler's observability", () => {
  const broker = {} as Broker; // /health and refused origins never reach the broker

  // Read through spies: Powertools resets the log level to its configured one between invocations.
  it("every line of a request carries API Gateway's request id as correlation_id", async () => {
    const seen: unknown[] = [];
    vi.spyOn(logger, "info").mockImplementation(() => void seen.push(logger.getCorrelationId()));
    const handler = createTokenHandler(
      () => broker,
      readSettings({ BROKER_CORS_ORIGINS: "https://app.example.com" }),
    );
    await handler(event(), context);
    expect(seen).toEqual(["apigw-req-42"]);
  });

  it("a foreign-origin 403 answered by the CORS middleware is logged and flushes the metrics", async () => {
    const info = vi.spyOn(logger, "info").mockImplementation(() => {});
    const publish = vi.spyOn(metrics, "publishStoredMetrics").mockReturnValue(metrics);
    const handler = createTokenHandler(
      () => broker,
      readSettings({ BROKER_CORS_ORIGINS: "https://app.example.com" }),
    );
    const response = await handler(event("https://evil.example.com"), context);
    expect(response.statusCode).toBe(403);
    expect(info).toHaveBeenCalledWith(
      "request refused",
      expect.objectContaining({ problemType: "urn:token-broker:problem:origin-not-allowed", status: 403 }),
    );
    expect(publish).toHaveBeenCalledTimes(1);
  });

  it("a connection's metric carries the connection as a dimension", () => {
    const single = { addDimension: vi.fn(), addMetric: vi.fn() };
    vi.spyOn(metrics, "singleMetric").mockReturnValue(single as never);
    countConnectionMetric("demo-ledger", "CredentialsRejected");
    expect(single.addDimension).toHaveBeenCalledWith("connection", "demo-ledger");
    expect(single.addMetric).toHaveBeenCalledWith("CredentialsRejected", "Count", 1);
  });
});

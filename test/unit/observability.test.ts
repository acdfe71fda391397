import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EmfMetrics, MetricUnit } from "../../lib/observability/emf-metrics.ts";
import { Logger, type LogLevel } from "../../lib/observability/logger.ts";
import { injectLambdaContext, publishMetrics } from "../../lib/observability/middleware.ts";
import { redactReplacer } from "../../lib/observability/redact.ts";

const context = {
  awsRequestId: "req-1",
  functionName: "token-broker-dev-token",
  invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:token-broker-dev-token",
  memoryLimitInMB: "512",
} as Context;

function capturingLogger(env: NodeJS.ProcessEnv = {}) {
  const lines: { level: LogLevel; line: string }[] = [];
  const logger = new Logger({
    serviceName: "svc",
    jsonReplacer: redactReplacer,
    env,
    write: (level, line) => lines.push({ level, line }),
  });
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l.line) as Record<string, unknown>) };
}

describe("Logger", () => {
  afterEach(() => vi.useRealTimers());

  it("writes one JSON line per call in Powertools' shape, attributes last", () => {
    vi.useFakeTimers({ now: new Date("2026-11-23T10:00:00.000Z") });
    const { logger, lines, parsed } = capturingLogger({
      _X_AMZN_TRACE_ID: "Root=1-abc-def;Parent=p;Sampled=1",
    });
    logger.info("request served", { routeKey: "POST /x", status: 200 });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.line).not.toContain("\n");
    expect(parsed()[0]).toEqual({
      level: "INFO",
      message: "request served",
      timestamp: "2026-11-23T10:00:00.000Z",
      service: "svc",
      xray_trace_id: "1-abc-def",
      routeKey: "POST /x",
      status: 200,
    });
    expect(Object.keys(parsed()[0] ?? {})).toEqual([
      "level",
      "message",
      "timestamp",
      "service",
      "xray_trace_id",
      "routeKey",
      "status",
    ]);
  });

  it("adds the Lambda context keys; cold_start is true for the first invocation only", () => {
    const { logger, parsed } = capturingLogger();
    logger.addContext(context);
    logger.info("first");
    logger.addContext({ ...context, awsRequestId: "req-2" });
    logger.info("second");
    expect(parsed()[0]).toMatchObject({
      cold_start: true,
      function_arn: context.invokedFunctionArn,
      function_memory_size: 512,
      function_name: "token-broker-dev-token",
      function_request_id: "req-1",
    });
    expect(parsed()[1]).toMatchObject({ cold_start: false, function_request_id: "req-2" });
  });

  it.each([
    [{}, ["INFO", "WARN", "ERROR"]],
    [{ POWERTOOLS_LOG_LEVEL: "warn" }, ["WARN", "ERROR"]],
    [{ LOG_LEVEL: "DEBUG" }, ["DEBUG", "INFO", "WARN", "ERROR"]],
    [{ POWERTOOLS_LOG_LEVEL: "ERROR", LOG_LEVEL: "DEBUG" }, ["ERROR"]],
    // Lambda's own log-level control wins, as with Powertools.
    [{ AWS_LAMBDA_LOG_LEVEL: "WARN", POWERTOOLS_LOG_LEVEL: "DEBUG" }, ["WARN", "ERROR"]],
    [{ AWS_LAMBDA_LOG_LEVEL: "FATAL" }, ["ERROR"]],
    [{ POWERTOOLS_LOG_LEVEL: "SILENT" }, []],
    [{ POWERTOOLS_LOG_LEVEL: "nonsense" }, ["INFO", "WARN", "ERROR"]],
  ] as const)("level from %j", (env, expected) => {
    const { logger, lines } = capturingLogger(env);
    logger.debug("d");
    logger.info("i");
    logger.warn("w");
    logger.error("e");
    expect(lines.map((l) => l.level)).toEqual(expected);
  });

  it("setLogLevel changes the threshold at run time", () => {
    const { logger, lines } = capturingLogger();
    logger.setLogLevel("ERROR");
    logger.warn("w");
    logger.setLogLevel("DEBUG");
    logger.debug("d");
    expect(lines.map((l) => l.level)).toEqual(["DEBUG"]);
  });

  it("passes every line through the redaction replacer", () => {
    const { logger, lines } = capturingLogger();
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXZhbHVl";
    logger.warn("upstream said", {
      authorization: "Bearer abcdefgh",
      detail: `token ${jwt}`,
      nested: { secret: "s3cr3t!" },
    });
    expect(lines[0]?.line).not.toContain("abcdefgh");
    expect(lines[0]?.line).not.toContain(jwt);
    expect(lines[0]?.line).not.toContain("s3cr3t!");
    expect(lines[0]?.line).toContain("[REDACTED]");
  });

  it("pretty-prints with POWERTOOLS_DEV", () => {
    const { logger, lines } = capturingLogger({ POWERTOOLS_DEV: "true" });
    logger.info("x");
    expect(lines[0]?.line).toContain('\n    "level": "INFO"');
  });

  it("writes DEBUG/INFO to stdout and WARN/ERROR to stderr by default", () => {
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      const logger = new Logger({ serviceName: "svc", env: { LOG_LEVEL: "DEBUG" } });
      logger.debug("d");
      logger.info("i");
      logger.warn("w");
      logger.error("e");
      const messages = (spy: typeof out) => spy.mock.calls.map((c) => JSON.parse(String(c[0])).message);
      expect(messages(out)).toEqual(["d", "i"]);
      expect(messages(err)).toEqual(["w", "e"]);
      expect(String(out.mock.calls[0]?.[0]).endsWith("}\n")).toBe(true);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });
});

function capturingMetrics(env: NodeJS.ProcessEnv = {}) {
  const lines: string[] = [];
  const metrics = new EmfMetrics({
    namespace: "TokenBroker",
    serviceName: "svc",
    env,
    write: (l) => lines.push(l),
  });
  return { metrics, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe("EmfMetrics", () => {
  afterEach(() => vi.useRealTimers());

  it("publishes stored metrics as one EMF line with the service dimension; repeated names become arrays", () => {
    vi.useFakeTimers({ now: 1_790_000_000_000 });
    const { metrics, lines, parsed } = capturingMetrics();
    metrics.addMetric("CacheHitMemory", MetricUnit.Count, 1);
    metrics.addMetric("CredentialLatency", MetricUnit.Milliseconds, 3.5);
    metrics.addMetric("CredentialLatency", MetricUnit.Milliseconds, 4);
    expect(lines).toEqual([]);
    metrics.publishStoredMetrics();
    expect(parsed()).toEqual([
      {
        _aws: {
          Timestamp: 1_790_000_000_000,
          CloudWatchMetrics: [
            {
              Namespace: "TokenBroker",
              Dimensions: [["service"]],
              Metrics: [
                { Name: "CacheHitMemory", Unit: "Count" },
                { Name: "CredentialLatency", Unit: "Milliseconds" },
              ],
            },
          ],
        },
        service: "svc",
        CacheHitMemory: 1,
        CredentialLatency: [3.5, 4],
      },
    ]);
    metrics.publishStoredMetrics();
    expect(lines).toHaveLength(1);
  });

  it("a single metric carries its own dimensions and is written at once", () => {
    const { metrics, parsed } = capturingMetrics();
    metrics.addMetric("UpstreamRefresh", MetricUnit.Count, 1);
    const single = metrics.singleMetric();
    single.addDimension("connection", "ledger");
    single.addMetric("CredentialsRejected", MetricUnit.Count, 1);
    expect(parsed()).toEqual([
      expect.objectContaining({
        _aws: expect.objectContaining({
          CloudWatchMetrics: [
            {
              Namespace: "TokenBroker",
              Dimensions: [["service", "connection"]],
              Metrics: [{ Name: "CredentialsRejected", Unit: "Count" }],
            },
          ],
        }),
        service: "svc",
        connection: "ledger",
        CredentialsRejected: 1,
      }),
    ]);
    // The instance's own metrics and dimensions are untouched.
    metrics.publishStoredMetrics();
    expect(parsed()[1]).toMatchObject({ UpstreamRefresh: 1 });
    expect(parsed()[1]).not.toHaveProperty("connection");
  });

  it("stays within EMF's limits: 100 metrics per line, 100 values per metric", () => {
    const { metrics, parsed } = capturingMetrics();
    for (let i = 0; i < 101; i++) metrics.addMetric(`M${i}`, MetricUnit.Count, 1);
    expect(parsed()).toHaveLength(1);
    expect(Object.keys(parsed()[0] ?? {}).filter((k) => k.startsWith("M"))).toHaveLength(100);
    metrics.publishStoredMetrics();
    for (let i = 0; i < 100; i++) metrics.addMetric("Many", MetricUnit.Count, i);
    expect(parsed()).toHaveLength(3);
    expect((parsed()[2]?.Many as number[]).length).toBe(100);
  });

  it("refuses a value CloudWatch cannot take", () => {
    const { metrics } = capturingMetrics();
    expect(() => metrics.addMetric("X", MetricUnit.Count, Number.NaN)).toThrow(RangeError);
  });

  it.each([
    [{ POWERTOOLS_METRICS_DISABLED: "true" }, 0],
    [{ POWERTOOLS_DEV: "true" }, 0],
    [{ POWERTOOLS_DEV: "true", POWERTOOLS_METRICS_DISABLED: "false" }, 1],
    [{ POWERTOOLS_METRICS_DISABLED: "false" }, 1],
    [{}, 1],
  ] as const)("output with %j: %i line(s), and nothing kept for later", (env, count) => {
    const { metrics, lines } = capturingMetrics(env);
    metrics.addMetric("X", MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
    metrics.publishStoredMetrics();
    expect(lines).toHaveLength(count);
  });
});

describe("observability middlewares", () => {
  it("inject the context into log lines and publish metrics after success and after failure", async () => {
    const { logger, parsed } = capturingLogger();
    const { metrics, parsed: emf } = capturingMetrics();
    const handler = middy<{ fail: boolean }, string, Error, Context>()
      .use(injectLambdaContext(logger))
      .use(publishMetrics(metrics))
      .handler(async (event) => {
        metrics.addMetric("Served", MetricUnit.Count, 1);
        logger.info("handling");
        if (event.fail) throw new Error("boom");
        return "ok";
      });
    await expect(handler({ fail: false }, context)).resolves.toBe("ok");
    await expect(handler({ fail: true }, { ...context, awsRequestId: "req-2" })).rejects.toThrow("boom");
    expect(parsed().map((l) => [l.function_request_id, l.cold_start])).toEqual([
      ["req-1", true],
      ["req-2", false],
    ]);
    expect(emf().map((l) => l.Served)).toEqual([1, 1]);
  });
});

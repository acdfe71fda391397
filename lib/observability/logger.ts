import type { Context } from "aws-lambda";
import { envFlag } from "./env-flag.ts";
import { redactReplacer } from "./redact.ts";

/**
 * Structured JSON logs in the shape AWS Lambda Powertools' Logger writes (`level`, `message`,
 * `timestamp`, `service`, the Lambda context keys, then the attributes), with its settings:
 * AWS_LAMBDA_LOG_LEVEL (Lambda's log controls) over POWERTOOLS_LOG_LEVEL over LOG_LEVEL, default
 * INFO; POWERTOOLS_DEV pretty-prints. Our own ~70 lines rather than Powertools Logger: with its
 * Metrics it cost 4-6 ms of every cold start, for features the broker does not use (buffering,
 * sampling, child loggers); see the README's performance section.
 */
export const LOG_LEVELS = { DEBUG: 8, INFO: 12, WARN: 16, ERROR: 20, SILENT: 28 } as const;
export type LogLevel = keyof typeof LOG_LEVELS;
export type LogAttributes = Record<string, unknown>;

export interface LoggerOptions {
  serviceName: string;
  /** Every line is serialized through it: the redaction layer. */
  jsonReplacer?: (key: string, value: unknown) => unknown;
  env?: NodeJS.ProcessEnv;
  /** Where lines go; the default writes DEBUG/INFO to stdout and WARN/ERROR to stderr, as Powertools does. */
  write?: (level: LogLevel, line: string) => void;
}

export class Logger {
  readonly #service: string;
  readonly #replacer: ((key: string, value: unknown) => unknown) | undefined;
  readonly #indent: number;
  readonly #write: (level: LogLevel, line: string) => void;
  readonly #env: NodeJS.ProcessEnv;
  #threshold: number;
  #lambda: LogAttributes = {};
  #coldStart = true;

  constructor(options: LoggerOptions) {
    const env = options.env ?? process.env;
    this.#env = env;
    this.#service = options.serviceName;
    this.#replacer = options.jsonReplacer;
    this.#indent = envFlag(env.POWERTOOLS_DEV) ? 4 : 0;
    this.#write = options.write ?? writeToStdio;
    const lambdaLevel = env.AWS_LAMBDA_LOG_LEVEL === "FATAL" ? "ERROR" : env.AWS_LAMBDA_LOG_LEVEL;
    const level = [lambdaLevel, env.POWERTOOLS_LOG_LEVEL, env.LOG_LEVEL]
      .map((l) => l?.toUpperCase())
      .find((l): l is LogLevel => l !== undefined && l in LOG_LEVELS);
    this.#threshold = LOG_LEVELS[level ?? "INFO"];
  }

  debug(message: string, attributes?: LogAttributes): void {
    this.#log("DEBUG", message, attributes);
  }
  info(message: string, attributes?: LogAttributes): void {
    this.#log("INFO", message, attributes);
  }
  warn(message: string, attributes?: LogAttributes): void {
    this.#log("WARN", message, attributes);
  }
  error(message: string, attributes?: LogAttributes): void {
    this.#log("ERROR", message, attributes);
  }

  setLogLevel(level: LogLevel): void {
    this.#threshold = LOG_LEVELS[level];
  }

  /** The invocation's context keys for the lines that follow (the first invocation is the cold start). */
  addContext(context: Context): void {
    this.#lambda = {
      cold_start: this.#coldStart,
      function_arn: context.invokedFunctionArn,
      function_memory_size: Number(context.memoryLimitInMB) || undefined,
      function_name: context.functionName,
      function_request_id: context.awsRequestId,
    };
    this.#coldStart = false;
  }

  #log(level: LogLevel, message: string, attributes: LogAttributes | undefined): void {
    if (LOG_LEVELS[level] < this.#threshold) return;
    const line = {
      level,
      message,
      timestamp: new Date().toISOString(),
      service: this.#service,
      ...this.#lambda,
      xray_trace_id: /Root=([^;]+)/.exec(this.#env._X_AMZN_TRACE_ID ?? "")?.[1],
      ...attributes,
    };
    this.#write(level, JSON.stringify(line, this.#replacer as never, this.#indent));
  }
}

function writeToStdio(level: LogLevel, line: string): void {
  (level === "WARN" || level === "ERROR" ? process.stderr : process.stdout).write(`${line}\n`);
}

/**
 * The one structured logger. Log names, hosts, statuses and durations; never a secret, token,
 * signature, Authorization header or upstream body (BrokerError messages are written to be safe).
 * Every line still passes through the redaction replacer, in case one does.
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "token-broker",
  jsonReplacer: redactReplacer,
});

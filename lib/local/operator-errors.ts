import { BrokerError, ConfigError, InternalError, toBrokerError } from "../errors.ts";
import { redactText } from "../observability/redact.ts";

/**
 * An ordinary operator mistake (port in use, missing file or table, bad variable, unreachable
 * endpoint): what went wrong, naming the file, variable or endpoint, and the fix. Local commands
 * print it as one line on stderr and exit 1, never as a stack trace.
 */
export class OperatorError extends Error {
  override name = "OperatorError";
  readonly fix: string;
  constructor(message: string, fix: string, options?: ErrorOptions) {
    super(message, options);
    this.fix = fix;
  }
}

/** What an AWS SDK error tells an operator: its code, and where it came from. */
interface AwsErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ETIMEDOUT",
  "TimeoutError",
]);
const CREDENTIALS = new Set([
  "CredentialsProviderError",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "ExpiredTokenException",
  "IncompleteSignatureException",
  "InvalidClientTokenId",
]);

/**
 * An AWS call that failed, as an OperatorError naming the resource, the endpoint and the AWS
 * error code, with the fix for the usual causes.
 */
export function awsOperatorError(
  error: unknown,
  target: { service: string; resource: string; endpoint: string },
): OperatorError {
  const aws = (error ?? {}) as AwsErrorShape;
  const code = aws.code ?? aws.name ?? "Error";
  const where = `${target.service} ${target.resource} at ${target.endpoint}`;
  const status = aws.$metadata?.httpStatusCode;
  const said = `${where}: ${code}${status ? ` (HTTP ${status})` : ""}`;
  if (code === "ResourceNotFoundException") {
    return new OperatorError(
      `${where} does not exist (${code})`,
      "check the name and the region (AWS_REGION), or create it",
      {
        cause: error,
      },
    );
  }
  if (UNREACHABLE.has(code) || /ECONNREFUSED|ENOTFOUND|getaddrinfo/.test(aws.message ?? "")) {
    return new OperatorError(
      `${said}: the endpoint does not answer`,
      "check the endpoint (AWS_ENDPOINT_URL_DYNAMODB for DynamoDB Local: npm run dynamodb:local) and the network",
      { cause: error },
    );
  }
  if (CREDENTIALS.has(code)) {
    return new OperatorError(
      `${said}: no valid AWS credentials`,
      "set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) for the account that holds it",
      { cause: error },
    );
  }
  if (code === "AccessDeniedException") {
    return new OperatorError(
      `${said}: access denied`,
      "use credentials allowed to read it (dynamodb:GetItem on the table)",
      {
        cause: error,
      },
    );
  }
  if (/region is missing/i.test(aws.message ?? "")) {
    return new OperatorError(`${where}: no AWS region`, "set AWS_REGION", { cause: error });
  }
  return new OperatorError(said, "see the AWS error code above; the command made no change", {
    cause: error,
  });
}

type ListenError = NodeJS.ErrnoException & { port?: number; address?: string };

const NODE_ERRORS: Record<string, (error: ListenError) => OperatorError> = {
  EADDRINUSE: (e) =>
    new OperatorError(
      `port ${e.port ?? "?"} on ${e.address ?? "127.0.0.1"} is already in use`,
      "stop what listens there, or choose another port",
    ),
  ENOENT: (e) =>
    new OperatorError(
      `no such file: ${e.path ?? "(unknown)"}`,
      "check the path (run from the repository root)",
    ),
  EACCES: (e) =>
    new OperatorError(
      `permission denied: ${e.path ?? e.address ?? "(unknown)"}`,
      "choose a path or port this user may use",
    ),
};

/**
 * The one line (a config error: one line per bad field) a local command prints for an error.
 * Never a stack trace, and never "logged" when nothing was: an unexpected error is named as such.
 */
export function describeForOperator(error: unknown): string {
  if (error instanceof OperatorError) return `error: ${error.message}. Fix: ${error.fix}.`;
  if (error instanceof ConfigError) return `error: ${error.message}`;
  if (error instanceof Error && error.name === "UnknownStageError") return `error: ${error.message}`;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const known = code ? NODE_ERRORS[code] : undefined;
  if (known) return describeForOperator(known(error as NodeJS.ErrnoException));
  if (error instanceof BrokerError && !(error instanceof InternalError)) {
    const problem = toBrokerError(error).toProblem();
    return `error: ${problem.type.split(":").at(-1)} (${problem.status}): ${redactText(problem.detail)}`;
  }
  const name = (error as Error | undefined)?.name ?? "Error";
  const message = redactText(String((error as Error | undefined)?.message ?? error));
  return `error: unexpected ${name}: ${message} (this is a bug in the broker, or an environment it does not know; nothing was logged)`;
}

/** Runs a local command's body: an error becomes its one line on stderr and exit code 1. */
export async function runOperatorCommand(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    process.stderr.write(`${describeForOperator(error)}\n`);
    process.exitCode = 1;
  }
}

/** A port from the environment: whole number 0-65535, else an OperatorError naming the variable. */
export function portFromEnv(name: string, fallback: number, env: NodeJS.ProcessEnv): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65_535) {
    throw new OperatorError(
      `${name}=${JSON.stringify(raw)} is not a port`,
      `set ${name} to a whole number from 1 to 65535`,
    );
  }
  return port;
}

import * as z from "zod/mini";
import { ConfigError } from "../lib/errors.ts";

const origin = z
  .string()
  .check(
    z.regex(
      /^https:\/\/[a-z0-9.-]+(:\d+)?$|^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?$/,
      "an exact origin: https://host[:port] (http only for localhost)",
    ),
  );
const nonEmpty = z.string().check(z.minLength(1));
const arn = z.string().check(z.startsWith("arn:"));

/** One deployment environment. Validated at synth; a bad field fails with its path. */
export const stageConfigSchema = z.strictObject({
  /** Target account and region; absent means the CLI's (environment-agnostic synth). */
  env: z.optional(z.strictObject({ account: z.string().check(z.regex(/^\d{12}$/)), region: nonEmpty })),
  /** The broker connections file this stage deploys (validated too). */
  brokerConfig: nonEmpty,
  /** Exact browser origins allowed by CORS; never "*" (the token routes hand out credentials). */
  corsOrigins: z.array(origin).check(z.minLength(1)),
  /** Caller JWTs: the HTTP API's JWT authorizer checks issuer, audience, expiry and these scopes. */
  auth: z.strictObject({
    issuer: z.url().check(z.startsWith("https://")),
    audience: z.array(nonEmpty).check(z.minLength(1)),
    /** Required on every broker route, so an ID token cannot pass as an access token. */
    requiredScopes: z.array(nonEmpty).check(z.minLength(1)),
  }),
  throttling: z.strictObject({
    rateLimit: z.number().check(z.positive()),
    burstLimit: z.int().check(z.positive()),
  }),
  /** Prewarm schedule interval; the prewarm window is this plus the largest skew. */
  prewarmRateMinutes: z._default(z.int().check(z.minimum(1), z.maximum(60)), 5),
  logRetentionDays: z.union([
    z.literal(1),
    z.literal(3),
    z.literal(5),
    z.literal(7),
    z.literal(14),
    z.literal(30),
    z.literal(60),
    z.literal(90),
    z.literal(180),
    z.literal(365),
    z.literal(731),
  ]),
  /** SNS topic for alarms; absent means alarms without actions. */
  alarmTopicArn: z.optional(arn),
  /** "retain" with point-in-time recovery for production; "destroy" for disposable stages. */
  removalPolicy: z.enum(["retain", "destroy"]),
  /**
   * Where audit records are kept: "s3" (a log subscription, Firehose and an encrypted bucket with
   * its own retention) or "logs" (only the token function's log group, with logRetentionDays).
   */
  audit: z._default(
    z.strictObject({
      delivery: z._default(z.enum(["s3", "logs"]), "s3"),
      retentionDays: z._default(z.int().check(z.minimum(1), z.maximum(3653)), 400),
      archiveAfterDays: z.optional(z.int().check(z.minimum(30), z.maximum(3653))),
    }),
    { delivery: "s3", retentionDays: 400 },
  ),
  /**
   * Lifecycle events: published to this EventBridge bus (a name in the stage's account; absent:
   * the default bus); a known expiry this many days away is an event.
   */
  events: z._default(
    z.strictObject({
      busName: z.optional(z.string().check(z.regex(/^[A-Za-z0-9._-]{1,256}$/, "an event bus name"))),
      expiryWarningDays: z._default(z.int().check(z.minimum(1), z.maximum(365)), 30),
    }),
    { expiryWarningDays: 30 },
  ),
  /** KMS keys (ARNs) of customer-managed keys that encrypt the connections' secrets, if any. */
  secretsKmsKeyArns: z._default(z.array(arn), []),
});
export type StageConfig = z.output<typeof stageConfigSchema>;

const STAGE_NAME = /^[a-z][a-z0-9-]{0,19}$/;

/**
 * Parses every stage of a stages file in one pass; errors carry `<stage>.<field>` paths (a bad
 * stage name is one of them, never a reason to hide the others).
 */
export function parseStages(input: unknown, source: string): Record<string, StageConfig> {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new ConfigError(source, [{ path: "", message: "a stages file is a JSON object of stages" }]);
  }
  const issues: { path: string; message: string }[] = [];
  const stages: Record<string, StageConfig> = {};
  for (const [name, raw] of Object.entries(input)) {
    if (!STAGE_NAME.test(name))
      issues.push({ path: name, message: "stage names: a-z, 0-9, dashes, at most 20" });
    const result = stageConfigSchema.safeParse(raw);
    if (result.success) stages[name] = result.data;
    else
      issues.push(
        ...result.error.issues.map((i) => ({ path: [name, ...i.path].join("."), message: i.message })),
      );
  }
  if (issues.length > 0) throw new ConfigError(source, issues);
  return stages;
}

/** No stage chosen, or one the stages file does not define. */
export class UnknownStageError extends Error {
  override name = "UnknownStageError";
}

export function selectStage(
  stages: Record<string, StageConfig>,
  name: string | undefined,
): [string, StageConfig] {
  const known = Object.keys(stages);
  if (!name)
    throw new UnknownStageError(`Choose a stage with -c stage=<name>; known stages: ${known.join(", ")}`);
  const stage = stages[name];
  if (!stage) throw new UnknownStageError(`Unknown stage "${name}"; known stages: ${known.join(", ")}`);
  return [name, stage];
}

import { z } from "zod";
import { ConfigError } from "../lib/errors.ts";

const origin = z
  .string()
  .regex(
    /^https:\/\/[a-z0-9.-]+(:\d+)?$|^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?$/,
    "an exact origin: https://host[:port] (http only for localhost)",
  );

/** One deployment environment. Validated at synth; a bad field fails with its path. */
export const stageConfigSchema = z.strictObject({
  /** Target account and region; absent means the CLI's (environment-agnostic synth). */
  env: z.strictObject({ account: z.string().regex(/^\d{12}$/), region: z.string().min(1) }).optional(),
  /** The broker connections file this stage deploys (validated too). */
  brokerConfig: z.string().min(1),
  /** Exact browser origins allowed by CORS; never "*" (the token routes hand out credentials). */
  corsOrigins: z.array(origin).min(1),
  /** Caller JWTs: the HTTP API's JWT authorizer checks issuer, audience, expiry and these scopes. */
  auth: z.strictObject({
    issuer: z.url().startsWith("https://"),
    audience: z.array(z.string().min(1)).min(1),
    /** Required on every broker route, so an ID token cannot pass as an access token. */
    requiredScopes: z.array(z.string().min(1)).min(1),
  }),
  throttling: z.strictObject({ rateLimit: z.number().positive(), burstLimit: z.number().int().positive() }),
  /** Prewarm schedule interval; the prewarm window is this plus the largest skew. */
  prewarmRateMinutes: z.number().int().min(1).max(60).default(5),
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
  alarmTopicArn: z.string().startsWith("arn:").optional(),
  /** "retain" with point-in-time recovery for production; "destroy" for disposable stages. */
  removalPolicy: z.enum(["retain", "destroy"]),
  /** KMS keys (ARNs) of customer-managed keys that encrypt the connections' secrets, if any. */
  secretsKmsKeyArns: z.array(z.string().startsWith("arn:")).default([]),
});
export type StageConfig = z.output<typeof stageConfigSchema>;

/** Parses every stage of a stages file; errors carry `<stage>.<field>` paths. */
export function parseStages(input: unknown, source: string): Record<string, StageConfig> {
  const result = z
    .record(
      z.string().regex(/^[a-z][a-z0-9-]{0,19}$/, "stage names: a-z, 0-9, dashes, at most 20"),
      stageConfigSchema,
    )
    .safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      source,
      result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    );
  }
  return result.data;
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

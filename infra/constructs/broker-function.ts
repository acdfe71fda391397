import { copyFileSync, cpSync, existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  ArnFormat,
  AssetHashType,
  DockerImage,
  Duration,
  type RemovalPolicy,
  Stack,
  Validations,
} from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";

/**
 * In an installed package the functions come prebuilt (dist/assets/<handler>/: bundled when the
 * package was built, the bytes its tests ran), so a consumer's synth needs neither esbuild nor our
 * sources. In this repository they are bundled from source at synth.
 */
const PREBUILT = fileURLToPath(new URL("../../assets/", import.meta.url));
const bundling = existsSync(PREBUILT) ? undefined : await import("../bundling.ts");

function functionCode(handler: BrokerFunctionProps["handler"], configPath: string): lambda.Code {
  const prebuilt = join(PREBUILT, handler);
  if (!bundling) {
    const staged = mkdtempSync(join(tmpdir(), `broker-${handler}-`));
    cpSync(prebuilt, staged, { recursive: true });
    copyFileSync(configPath, join(staged, RESOLVED_CONFIG_FILE));
    return lambda.Code.fromAsset(staged);
  }
  const entry = fileURLToPath(new URL(`../../functions/${handler}/handler.ts`, import.meta.url));
  return lambda.Code.fromAsset(dirname(entry), {
    // The hash of what is deployed, so that a change anywhere in lib/ or the config redeploys.
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: DockerImage.fromRegistry("unused-local-bundling-only"),
      local: {
        tryBundle(outputDir) {
          bundling.bundleFunction(entry, outputDir);
          copyFileSync(configPath, join(outputDir, RESOLVED_CONFIG_FILE));
          return true;
        },
      },
    },
  });
}

/** Where the resolved config sits in each function's asset. */
export const RESOLVED_CONFIG_FILE = "broker.config.resolved.json";

export interface BrokerFunctionProps {
  /** Which function: its handler is functions/<handler>/handler.ts. */
  handler: "token" | "prewarm";
  description: string;
  memorySize: number;
  timeout: Duration;
  /**
   * The config as synth validated it (resolved form), copied next to the bundle: the function
   * loads it without a schema library.
   */
  resolvedConfigPath: string;
  environment: Record<string, string>;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
}

/**
 * A broker Lambda: Node 24 on ARM64, esbuild-bundled ESM with code splitting (infra/bundling.ts; the
 * AWS SDK included, so the bundle pins the SDK version it was tested with), its own log group and
 * role (no managed policies), X-Ray tracing. Bundled by esbuild in this process at synth (no Docker):
 * CDK's NodejsFunction writes a single file and cannot split.
 */
export class BrokerFunction extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: BrokerFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, "Logs", {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.role = new iam.Role(this, "Role", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: `${props.description} (execution role)`,
    });
    this.logGroup.grantWrite(this.role);
    this.function = new lambda.Function(this, "Function", {
      code: functionCode(props.handler, props.resolvedConfigPath),
      handler: "index.handler",
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        BROKER_CONFIG_RESOLVED_FILE: RESOLVED_CONFIG_FILE,
        BROKER_SECRETS: "aws",
        ...props.environment,
      },
    });
    Validations.of(this.role).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason: "X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions.",
    });
  }

  /** Read access to exactly these secrets (names get Secrets Manager's 6-character ARN suffix). */
  grantSecrets(secretIds: readonly string[], kmsKeyArns: readonly string[]): void {
    if (secretIds.length === 0) return;
    const stack = Stack.of(this);
    const arns = [...new Set(secretIds)].map((id) =>
      id.startsWith("arn:")
        ? id
        : stack.formatArn({
            service: "secretsmanager",
            resource: "secret",
            resourceName: `${id}-??????`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ["secretsmanager:GetSecretValue"], resources: arns }),
    );
    if (kmsKeyArns.length > 0) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ["kms:Decrypt"],
          resources: [...kmsKeyArns],
          conditions: { StringEquals: { "kms:ViaService": `secretsmanager.${stack.region}.amazonaws.com` } },
        }),
      );
    }
  }
}

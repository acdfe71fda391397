import { readFileSync } from "node:fs";
import { App, type AppProps, Tags, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks, ServerlessChecks } from "cdk-nag";
import { readJsonFile } from "../lib/config/json-file.ts";
import { parseStages, selectStage } from "./stage-config.ts";
import { TokenBrokerStack } from "./token-broker-stack.ts";

/**
 * Builds the CDK app for one stage, chosen by the `stage` context (`-c stage=dev`), from the stages
 * file (`-c stages=<file>`, default infra/stages.json). The stage and its broker config are
 * validated here, so a bad field fails the synth with its path. cdk-nag's AwsSolutions and
 * Serverless packs run on every synth.
 */
export function buildApp(props: AppProps = {}): { app: App; stack: TokenBrokerStack } {
  // cdk.json's feature flags also apply when the app is built outside the CLI (tests, scripts), so
  // what is asserted is what `cdk synth` produces.
  const { context: flags } = JSON.parse(readFileSync("cdk.json", "utf8")) as {
    context: Record<string, unknown>;
  };
  const app = new App({ ...props, context: { ...flags, ...props.context } });
  const stagesFile = (app.node.tryGetContext("stages") as string | undefined) ?? "infra/stages.json";
  const stages = parseStages(readJsonFile(stagesFile, "pass -c stages=<file>"), stagesFile);
  const [stageName, stage] = selectStage(stages, app.node.tryGetContext("stage") as string | undefined);
  // The stack's TokenBroker validates the stage's connections file (and writes what the functions load).
  const stack = new TokenBrokerStack(app, `TokenBroker-${stageName}`, {
    stageName,
    stage,
    ...(stage.env ? { env: stage.env } : {}),
    description: `Token broker, stage ${stageName}`,
  });
  Tags.of(stack).add("token-broker:stage", stageName);
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app, { verbose: true }),
    new ServerlessChecks(app, { verbose: true }),
  );
  return { app, stack };
}

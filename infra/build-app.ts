import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { App, type AppProps, Tags, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks, ServerlessChecks } from "cdk-nag";
import { loadConfigFile } from "../lib/config/broker-config.ts";
import { parseStages, selectStage } from "./stage-config.ts";
import { TokenBrokerStack } from "./token-broker-stack.ts";

/**
 * Builds the CDK app for one stage, chosen by the `stage` context (`-c stage=dev`), from the stages
 * file (`-c stages=<file>`, default infra/stages.json). The stage and its broker config are
 * validated here, so a bad field fails the synth with its path. cdk-nag's AwsSolutions and
 * Serverless packs run on every synth.
 */
export function buildApp(props: AppProps = {}): { app: App; stack: TokenBrokerStack } {
  const app = new App(props);
  const stagesFile = (app.node.tryGetContext("stages") as string | undefined) ?? "infra/stages.json";
  const stages = parseStages(JSON.parse(readFileSync(stagesFile, "utf8")), stagesFile);
  const [stageName, stage] = selectStage(stages, app.node.tryGetContext("stage") as string | undefined);
  const brokerConfigPath = resolve(stage.brokerConfig);
  const stack = new TokenBrokerStack(app, `TokenBroker-${stageName}`, {
    stageName,
    stage,
    brokerConfig: loadConfigFile(brokerConfigPath),
    brokerConfigPath,
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

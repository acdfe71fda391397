/** `token-broker/cdk`: the construct to add to your own CDK stack. */
export { TokenBroker, type TokenBrokerProps, type LogRetentionDays } from "./constructs/token-broker.ts";
export { stageConfigSchema, type StageConfig } from "./stage-config.ts";

import { ConfigError } from "../lib/errors.ts";
import { buildApp } from "./build-app.ts";
import { UnknownStageError } from "./stage-config.ts";

// `npx cdk synth -c stage=<name>` / `npx cdk deploy -c stage=<name>`. Config mistakes end the synth
// with their message (and field paths), not a stack trace.
try {
  buildApp().app.synth();
} catch (error) {
  if (!(error instanceof ConfigError) && !(error instanceof UnknownStageError)) throw error;
  console.error(error.message);
  process.exit(1);
}

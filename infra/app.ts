import { describeForOperator } from "../lib/local/operator-errors.ts";
import { buildApp } from "./build-app.ts";

// `npx cdk synth -c stage=<name>` / `npx cdk deploy -c stage=<name>`. Mistakes (a bad or missing
// stages or connections file, an unknown stage) end the synth with one message naming the file and
// every bad field, exit code 1, never a stack trace. An unexpected error is named as one.
try {
  buildApp().app.synth();
} catch (error) {
  process.stderr.write(`${describeForOperator(error)}\n`);
  process.exit(1);
}

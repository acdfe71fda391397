import { Validations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";

/** cdk-nag acknowledgements, each with its reason (cdk-nag v3 uses CDK's Validations API). */
export function acknowledge(scope: IConstruct, findings: { id: string; reason: string }[]): void {
  for (const finding of findings) Validations.of(scope).acknowledge(finding);
}

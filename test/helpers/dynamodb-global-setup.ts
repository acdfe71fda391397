import type { TestProject } from "vitest/node";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../lib/local/dynamodb-local.ts";

declare module "vitest" {
  export interface ProvidedContext {
    dynamoDbEndpoint: string;
  }
}

let server: DynamoDbLocal | undefined;

/** One DynamoDB Local for the run; each test file makes its own tables. */
export async function setup(project: TestProject) {
  server = await startDynamoDbLocal();
  project.provide("dynamoDbEndpoint", server.endpoint);
}

export async function teardown() {
  await server?.stop();
}

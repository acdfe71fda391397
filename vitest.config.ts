import { defineConfig } from "vitest/config";

const shared = {
  environment: "node",
  testTimeout: 20_000,
  hookTimeout: 60_000,
  env: {
    POWERTOOLS_LOG_LEVEL: "WARN",
    POWERTOOLS_METRICS_DISABLED: "true",
    POWERTOOLS_SERVICE_NAME: "token-broker",
  },
} as const;

/**
 * Five suites: unit tests need neither Java nor a browser; integration and infra tests share one
 * DynamoDB Local (started by the global setup, so only those suites need Java); browser tests drive
 * Chromium; package tests build, pack and install the packages. `npm test` runs them all; `npm run test:unit` and the others run one.
 */
export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: "unit", include: ["test/unit/**/*.test.ts"] } },
      {
        test: {
          ...shared,
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["test/helpers/dynamodb-global-setup.ts"],
        },
      },
      {
        test: {
          ...shared,
          name: "infra",
          include: ["test/infra/**/*.test.ts"],
          globalSetup: ["test/helpers/dynamodb-global-setup.ts"],
        },
      },
      { test: { ...shared, name: "browser", include: ["test/browser/**/*.test.ts"] } },
      // The packages as other projects install them (npm pack, fresh projects in a temp directory).
      { test: { ...shared, name: "package", include: ["test/package/**/*.test.ts"] } },
    ],
  },
});

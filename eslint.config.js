// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "cdk.out/",
      "bench/results/",
      "coverage/",
      ".tmp/",
      "client/dist/",
      "dist/",
      ".packages/",
      "client/src/openapi.ts",
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  // Type-aware rules on the code that ships (tests keep the syntactic set: they parse JSON freely).
  ...tseslint.configs.recommendedTypeChecked.map((config) => ({
    ...config,
    files: ["lib/**/*.ts", "functions/**/*.ts", "infra/**/*.ts", "bin/**/*.ts", "client/src/**/*.ts"],
  })),
  {
    files: ["lib/**/*.ts", "functions/**/*.ts", "infra/**/*.ts", "bin/**/*.ts", "client/src/**/*.ts"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Interfaces here return promises; an implementation that needs no await is still async.
      "@typescript-eslint/require-await": "off",
      // An abort rejects with the signal's reason, whatever the caller chose it to be.
      "@typescript-eslint/prefer-promise-reject-errors": [
        "error",
        { allowThrowingAny: true, allowThrowingUnknown: true },
      ],
    },
  },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": "error",
    },
  },
  { files: ["test/**", "bench/**", "bin/**", "infra/**"], rules: { "no-console": "off" } },
  {
    // The example page runs in a browser.
    files: ["examples/web/*.js"],
    languageOptions: {
      globals: {
        window: "readonly",
        document: "readonly",
        location: "readonly",
        fetch: "readonly",
        URLSearchParams: "readonly",
      },
    },
  },
);

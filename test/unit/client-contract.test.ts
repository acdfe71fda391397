import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { contractTypes, GENERATED_TYPES } from "../../client/build.ts";

describe("the browser client and the API contract", () => {
  it("client/src/openapi.ts is what docs/openapi.json generates (run npm run build:client after changing the contract)", async () => {
    expect(readFileSync(GENERATED_TYPES, "utf8")).toBe(await contractTypes());
  });
});

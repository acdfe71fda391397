/** `npm run docs:config`: writes docs/config-reference.md from the config schemas. */
import { writeFileSync } from "node:fs";
import { configReference } from "../lib/config/reference.ts";

writeFileSync("docs/config-reference.md", configReference());
process.stdout.write("docs/config-reference.md written\n");

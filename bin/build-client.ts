/** `npm run build:client`: client/dist/broker-client.js (and .d.ts), with its size. */
import { execFileSync } from "node:child_process";
import { buildClient } from "../client/build.ts";

const { file, bytes, gzipBytes } = await buildClient();
// Types for apps: checked against the DOM library alone (no Node types), as a browser app sees them.
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "client/tsconfig.json"], {
  stdio: "inherit",
});
process.stdout.write(`${file}: ${bytes} bytes minified, ${gzipBytes} bytes gzipped\n`);

/**
 * `npm run example:web`: the example page on http://127.0.0.1:5173 (an origin `npm start` allows)
 * and the demo upstreams it calls. Run it beside `npm start`, then open the page.
 */
import { readFileSync } from "node:fs";
import { startExampleWeb } from "../examples/web/serve.ts";
import { startDemoUpstreams } from "../test/helpers/demo-upstreams.ts";

const page = await startExampleWeb(Number(process.env.EXAMPLE_PORT ?? 5173));
const upstreams = await startDemoUpstreams({
  secrets: JSON.parse(readFileSync("examples/local-secrets.json", "utf8")) as Record<
    string,
    Record<string, string>
  >,
  ports: [9401, 9402, 9403, 9404],
  corsOrigins: [page.url, page.url.replace("127.0.0.1", "localhost")],
});
process.stdout.write(
  `Example page: ${page.url}/ (broker expected on http://127.0.0.1:8787: run \`npm start\` beside this)\n` +
    `Demo upstreams on ${upstreams.ledger.url}, ${upstreams.oidc.tokenUrl}, ${upstreams.staticApi.url}, ${upstreams.signatureApi.url}\n`,
);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => void Promise.all([page.close(), upstreams.close()]).then(() => process.exit(0)));
}

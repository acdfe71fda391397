import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildClient } from "../../client/build.ts";

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Serves the example page on loopback: index.html, app.js, and the browser client freshly built
 * from client/src (so the page always runs the client the tests test).
 */
export async function startExampleWeb(port = 0): Promise<{ url: string; close(): Promise<void> }> {
  // Its own directory: a package build writing client/dist/ meanwhile never hands the page half a file.
  const { file } = await buildClient(mkdtempSync(join(tmpdir(), "example-web-")));
  const files: Record<string, [string, string]> = {
    "/": ["text/html; charset=utf-8", join(here, "index.html")],
    "/index.html": ["text/html; charset=utf-8", join(here, "index.html")],
    "/app.js": ["text/javascript; charset=utf-8", join(here, "app.js")],
    "/broker-client.js": ["text/javascript; charset=utf-8", file],
  };
  const server: Server = createServer((req, res) => {
    const entry = files[(req.url ?? "/").split("?")[0] as string];
    if (!entry) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": entry[0], "cache-control": "no-store" }).end(readFileSync(entry[1]));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface TestServer {
  url: string;
  requests: {
    method: string;
    path: string;
    headers: IncomingMessage["headers"];
    body: string;
    rawBody: Buffer;
  }[];
  close(): Promise<void>;
}

export type TestHandler = (
  request: {
    method: string;
    path: string;
    headers: IncomingMessage["headers"];
    body: string;
    rawBody: Buffer;
  },
  response: ServerResponse,
) => void | Promise<void>;

/** A real HTTP server on 127.0.0.1 and a free port, recording every request it receives. */
export async function startServer(handler: TestHandler, port = 0): Promise<TestServer> {
  const requests: TestServer["requests"] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request = {
      method: req.method ?? "",
      path: req.url ?? "",
      headers: req.headers,
      body: Buffer.concat(chunks).toString("utf8"),
      rawBody: Buffer.concat(chunks),
    };
    requests.push(request);
    try {
      await handler(request, res);
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

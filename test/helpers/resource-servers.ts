import { jwtVerify } from "jose";
import { sendJson, startServer, type TestServer } from "./http-server.ts";

/**
 * An API key + JWT signing API: every call must carry `x-api-key` and an `x-signature` that is an HS256 JWT
 * `{key: apiKey, exp}` signed with the JWT key, not expired (the vendor's replay protection).
 */
export async function startSignatureServer(
  apiKey: string,
  jwtKey: string,
  port = 0,
  /** Browser origins allowed to call it directly (headers mode from a page); none by default. */
  corsOrigins: readonly string[] = [],
): Promise<TestServer & { verified: () => number }> {
  let verified = 0;
  const server = await startServer(async (req, res) => {
    const origin = req.headers.origin;
    if (origin && corsOrigins.includes(origin)) {
      res.setHeader("access-control-allow-origin", origin);
      res.setHeader("vary", "Origin");
      if (req.method === "OPTIONS") {
        res.writeHead(204, {
          "access-control-allow-methods": "GET, POST",
          "access-control-allow-headers": "x-api-key, x-signature, content-type",
        });
        return void res.end();
      }
    }
    if (req.headers["x-api-key"] !== apiKey) return sendJson(res, 401, { error: "bad api key" });
    try {
      const { payload } = await jwtVerify(
        String(req.headers["x-signature"] ?? ""),
        new TextEncoder().encode(jwtKey),
        {
          algorithms: ["HS256"],
          requiredClaims: ["exp"],
        },
      );
      if (payload.key !== apiKey) return sendJson(res, 401, { error: "signature for another key" });
    } catch {
      return sendJson(res, 401, { error: "bad signature" });
    }
    verified++;
    sendJson(res, 200, { path: req.path, method: req.method });
  }, port);
  return { ...server, verified: () => verified };
}

/**
 * A Jet Admin-style API (static bearer token), with the misbehaviours a proxy must contain: cookies and
 * credential headers in responses, redirects to another host, binary bodies, a body over any cap,
 * an answer that never comes. It reports the header names it received (never values), so a test
 * can check what the proxy stripped without the upstream echoing a credential.
 */
export async function startStaticBearerServer(token: string, port = 0): Promise<TestServer> {
  return startServer(async (req, res) => {
    if (req.headers.authorization !== `Bearer ${token}`) {
      return sendJson(res, 401, { error: "invalid token" }, { "www-authenticate": "Bearer" });
    }
    const path = req.path.split("?")[0];
    switch (path) {
      case "/api/items":
        return sendJson(
          res,
          200,
          {
            items: [1, 2, 3],
            receivedHeaders: Object.keys(req.headers).sort(),
            query: req.path.split("?")[1] ?? "",
          },
          {
            "set-cookie": "session=upstream-session-cookie; HttpOnly",
            "x-upstream-token": token,
            authorization: `Bearer ${token}`,
            etag: '"v1"',
            "x-internal": "not-allow-listed",
          },
        );
      case "/api/echo":
        res.writeHead(200, { "content-type": req.headers["content-type"] ?? "application/octet-stream" });
        return void res.end(req.rawBody);
      case "/api/binary":
        res.writeHead(200, { "content-type": "image/png" });
        return void res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe]));
      case "/api/echo-encoded": {
        // A careless upstream echoing the credential in every encoding a header can carry.
        const b64 = Buffer.from(token).toString("base64");
        res.writeHead(201, {
          "content-type": "application/json",
          "x-upstream-token": b64,
          etag: `"${Buffer.from(token).toString("base64url")}"`,
          location: `https://upstream.example.com/next?basic=${encodeURIComponent(Buffer.from(`Bearer ${token}`).toString("base64"))}`,
          "x-request-id": "from-upstream",
        });
        return void res.end("{}");
      }
      case "/api/moved":
        res.writeHead(302, { location: "https://elsewhere.example.com/steal" });
        return void res.end();
      case "/api/big":
        res.writeHead(200, { "content-type": "application/octet-stream" });
        return void res.end(Buffer.alloc(64 * 1024, 1));
      case "/api/hang":
        return; // never answers
      case "/api/fail":
        return sendJson(res, 500, { error: "upstream broke" });
      default:
        return sendJson(res, 404, { error: "not found", path });
    }
  }, port);
}

import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { parseStages } from "../../infra/stage-config.ts";
import { readSettings } from "../../lib/runtime/settings.ts";
import { SCHEMES } from "../../lib/schemes/registry.ts";
import { SCHEME_TRAITS } from "../../lib/schemes/traits.ts";
import { loadConfigFile, parseConfig } from "../../lib/config/broker-config.ts";
import { ConfigError } from "../../lib/errors.ts";

function issues(input: unknown): { path: string; message: string }[] {
  try {
    parseConfig(input, "test");
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).issues];
  }
  throw new Error("expected a ConfigError");
}

describe("config loading", () => {
  it("loads the committed example config", () => {
    const config = loadConfigFile("examples/broker.config.json");
    expect([...config.connections.keys()]).toContain("demo-signed");
    expect(config.connections.get("demo-signed")).toMatchObject({
      scheme: "signed-jwt",
      preset: "x-signature",
    });
  });

  it("reports a missing file and invalid JSON with the file name", () => {
    expect(() => loadConfigFile("nope.json")).toThrow(/nope\.json.*cannot read file \(ENOENT\)/s);
  });

  it("names the path of every bad field, across connections", () => {
    const found = issues({
      connections: {
        a: { scheme: "static", secret: "s", headers: { "bad header": "x" } },
        b: {
          scheme: "signed-jwt",
          secret: "s",
          jwt: { algorithm: "none", key: { field: "k" }, claims: {} },
          headers: { A: "{{jwt}}" },
        },
        c: { preset: "ledger-enterprise", secret: "s", baseUrl: "http://api.example.com", workspace: "w" },
      },
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: expect.stringMatching(/^connections\.a\.headers/) }),
        expect.objectContaining({ path: "connections.b.jwt.algorithm" }),
        expect.objectContaining({ path: "connections.c.baseUrl", message: expect.stringMatching(/https/) }),
      ]),
    );
  });

  it("rejects unknown schemes and presets, listing the known ones", () => {
    expect(issues({ connections: { a: { scheme: "magic", secret: "s" } } })[0]).toMatchObject({
      path: "connections.a.scheme",
      message: expect.stringMatching(/static, signed-jwt, oauth2-client-credentials, token-exchange/),
    });
    expect(issues({ connections: { a: { preset: "acme", secret: "s" } } })[0]).toMatchObject({
      path: "connections.a.preset",
      message: expect.stringMatching(/ledger-enterprise/),
    });
  });

  it("rejects unknown fields (typos must not be ignored)", () => {
    expect(
      issues({ connections: { a: { preset: "jet-admin", secret: "s", secrte: "x" } } })[0]?.message,
    ).toMatch(/Unrecognized key.*secrte/);
  });

  it("rejects template placeholders the place does not offer", () => {
    const found = issues({
      connections: {
        a: { scheme: "static", secret: "s", headers: { Authorization: "Bearer {{jwt}}" } },
        b: {
          scheme: "signed-jwt",
          secret: "s",
          jwt: { key: { field: "k" }, claims: { sub: "{{token}}" } },
          headers: { A: "{{jwt}}" },
        },
      },
    });
    expect(found).toEqual([
      {
        path: "connections.a.headers.Authorization",
        message: expect.stringMatching(/unknown placeholder \{\{jwt\}\}/),
      },
      {
        path: "connections.b.jwt.claims.sub",
        message: expect.stringMatching(/unknown placeholder \{\{token\}\}/),
      },
    ]);
  });

  it("keeps iat/exp/jti out of literal claims", () => {
    expect(
      issues({
        connections: {
          a: {
            scheme: "signed-jwt",
            secret: "s",
            jwt: { key: { field: "k" }, claims: { exp: 1 } },
            headers: { A: "{{jwt}}" },
          },
        },
      })[0],
    ).toMatchObject({ path: "connections.a.jwt.claims" });
  });

  it("rejects connection names unfit for URLs", () => {
    for (const name of ["UPPER", "-lead", "has space", "../x", "a".repeat(65)]) {
      expect(issues({ connections: { [name]: { preset: "jet-admin", secret: "s" } } })[0]?.path).toBe(
        `connections.${name}`,
      );
    }
  });

  it("needs tokenUrl or issuer for client credentials, and plain http only to loopback", () => {
    expect(
      issues({ connections: { a: { scheme: "oauth2-client-credentials", secret: "s" } } })[0],
    ).toMatchObject({
      path: "connections.a.tokenUrl",
    });
    expect(
      issues({
        connections: {
          a: { scheme: "oauth2-client-credentials", secret: "s", tokenUrl: "http://10.0.0.1/t" },
        },
      })[0],
    ).toMatchObject({ path: "connections.a.tokenUrl" });
    const ok = parseConfig({
      connections: {
        a: {
          scheme: "oauth2-client-credentials",
          secret: "s",
          tokenUrl: "http://127.0.0.1:9/t",
          delivery: "headers",
        },
      },
    });
    expect(ok.connections.get("a")).toMatchObject({
      clientAuth: { method: "client_secret_basic", encoding: "form-urlencoded" },
    });
  });

  it("expands every vendor preset into a valid generic connection", () => {
    const config = parseConfig({
      connections: {
        brief: { preset: "brief", secret: "s", delivery: "headers" },
        tokenos: {
          preset: "tokenos",
          secret: "s",
          delivery: "headers",
          projectUrl: "https://p.projects.oryapis.com/",
          scope: ["read", "write"],
        },
        sig: { preset: "x-signature", secret: "s" },
        org: { preset: "x-signature-organization", secret: "s" },
        jet: { preset: "jet-admin", secret: "s", delivery: "headers" },
        ledger: {
          preset: "ledger-enterprise",
          secret: "s",
          baseUrl: "https://api.ledger.example/",
          workspace: "ws",
          prewarm: true,
          delivery: "headers",
        },
      },
    });
    expect(config.connections.get("tokenos")).toMatchObject({
      scheme: "oauth2-client-credentials",
      tokenUrl: "https://p.projects.oryapis.com/oauth2/token",
      scope: ["read", "write"],
    });
    expect(config.connections.get("ledger")).toMatchObject({
      scheme: "token-exchange",
      prewarm: true,
      exchange: { url: "https://api.ledger.example/auth/token", body: { workspace: "ws" } },
      refresh: {
        url: "https://api.ledger.example/auth/token/refresh",
        body: { workspace: "ws", refreshToken: "{{refreshToken}}" },
      },
      response: {
        accessToken: "accessToken",
        expiresIn: "expiresInSeconds",
        refreshToken: "refreshToken",
        refreshExpiresIn: "refreshExpiresInSeconds",
      },
    });
    expect(config.connections.get("jet")).toMatchObject({
      scheme: "static",
      headers: { Authorization: "Bearer {{secret.token}}" },
    });
  });

  describe("delivery and proxy", () => {
    const proxy = {
      baseUrl: "https://api.example.com/base",
      allow: [{ methods: ["GET"], paths: ["/v1/*"] }],
    };
    const delivered = (connection: Record<string, unknown>) =>
      parseConfig({ connections: { c: { secret: "s", ...connection } } }).connections.get("c");

    it("exposure decides the default: only per-request credentials are headers without a proxy", () => {
      const jwt = (expiresInSeconds?: number, reuse = false) => ({
        scheme: "signed-jwt",
        jwt: { key: { field: "k" }, claims: {}, ...(expiresInSeconds ? { expiresInSeconds } : {}) },
        headers: { Authorization: "Bearer {{jwt}}" },
        ...(reuse ? { reuse } : {}),
      });
      const cc = { scheme: "oauth2-client-credentials", tokenUrl: "https://idp.example.com/token" };
      const cases: [string, Record<string, unknown>, string][] = [
        ["x-signature (exp 15 s)", { preset: "x-signature" }, "per-request"],
        ["signed-jwt exp 300 s", jwt(300), "per-request"],
        ["signed-jwt exp 301 s", jwt(301), "replayable"],
        ["signed-jwt without exp", jwt(), "replayable"],
        ["signed-jwt reused across requests", jwt(120, true), "replayable"],
        ["brief {clientId, iat}", { preset: "brief" }, "replayable"],
        ["static", { preset: "jet-admin" }, "long-lived"],
        ["client credentials", cc, "shared"],
        ["github-app", { preset: "github-app", appId: "1", installationId: "2" }, "shared"],
      ];
      for (const [label, connection, exposure] of cases) {
        const headersByDefault = exposure === "per-request";
        if (headersByDefault)
          expect(delivered(connection), label).toMatchObject({ exposure, delivery: "headers" });
        else {
          expect(issues({ connections: { c: { ...connection, secret: "s" } } }), label).toEqual([
            {
              path: "connections.c.delivery",
              message: expect.stringMatching(
                new RegExp(`is ${exposure} .*configure "proxy", or set "delivery": "headers"`),
              ),
            },
          ]);
        }
        // A proxy makes the proxy the default; an explicit delivery is always obeyed.
        expect(delivered({ ...connection, proxy })?.delivery, label).toBe("proxy");
        expect(delivered({ ...connection, delivery: "headers" }), label).toMatchObject({
          exposure,
          delivery: "headers",
        });
      }
      expect(issues({ connections: { c: { preset: "brief", secret: "s", delivery: "both" } } })).toEqual([
        { path: "connections.c.proxy", message: 'required with delivery "both"' },
      ]);
    });

    it("proxy settings are validated with their paths; defaults filled in", () => {
      expect(delivered({ preset: "brief", proxy })?.proxy).toMatchObject({
        requestHeaders: expect.arrayContaining(["accept", "content-type"]),
        responseHeaders: expect.arrayContaining(["content-type", "etag"]),
        maxRequestBytes: 1024 * 1024,
        maxResponseBytes: 4 * 1024 * 1024,
        timeoutMs: 8_000,
      });
      const bad = issues({
        connections: {
          c: {
            preset: "brief",
            secret: "s",
            delivery: "sideways",
            proxy: {
              baseUrl: "http://api.example.com",
              allow: [{ methods: ["TRACE"], paths: ["v1", "/a/../b"] }],
              requestHeaders: ["Authorization"],
              responseHeaders: ["set-cookie"],
              maxResponseBytes: 10 * 1024 * 1024,
            },
          },
        },
      });
      expect(bad.map((i) => i.path).sort()).toEqual(
        [
          "connections.c.proxy.allow[0].methods[0]",
          "connections.c.proxy.allow[0].paths[0]",
          "connections.c.proxy.allow[0].paths[1]",
          "connections.c.proxy.baseUrl",
          "connections.c.proxy.maxResponseBytes",
          "connections.c.proxy.requestHeaders",
          "connections.c.proxy.responseHeaders",
        ].sort(),
      );
      expect(
        issues({ connections: { c: { preset: "brief", secret: "s", delivery: "sideways" } } })[0]?.path,
      ).toBe("connections.c.delivery");
      expect(
        issues({
          connections: {
            c: {
              preset: "brief",
              secret: "s",
              proxy: { ...proxy, baseUrl: "https://u:p@api.example.com?x=1" },
            },
          },
        })[0]?.path,
      ).toBe("connections.c.proxy.baseUrl");
    });
  });

  it("assertion grants, custom grants, sign-then-exchange and reuse are validated with field paths", () => {
    const oauth = (extra: Record<string, unknown>) => ({
      scheme: "oauth2-client-credentials",
      secret: "s",
      tokenUrl: "https://idp.example.com/token",
      ...extra,
    });
    const assertion = {
      algorithm: "RS256",
      key: { field: "k" },
      claims: { iss: "x" },
      expiresInSeconds: 300,
    };
    expect(
      issues({
        connections: {
          a: oauth({
            grantType: "urn:ietf:params:oauth:grant-type:jwt-bearer",
            clientAuth: { method: "none" },
          }),
        },
      }),
    ).toEqual([{ path: "connections.a.assertion", message: expect.stringContaining("needs an assertion") }]);
    expect(
      issues({
        connections: {
          a: oauth({
            grantType: "urn:ietf:params:oauth:grant-type:jwt-bearer",
            clientAuth: { method: "none" },
            assertion: { ...assertion, expiresInSeconds: undefined },
          }),
        },
      })[0]?.path,
    ).toBe("connections.a.assertion.expiresInSeconds");
    expect(issues({ connections: { a: oauth({ clientAuth: { method: "none" } }) } })[0]?.path).toBe(
      "connections.a.clientAuth",
    );
    expect(issues({ connections: { a: oauth({ grantType: "bad grant!" }) } })[0]?.path).toBe(
      "connections.a.grantType",
    );
    expect(
      issues({
        connections: {
          a: {
            scheme: "token-exchange",
            secret: "s",
            exchange: {
              url: "https://api.example.com/t",
              headers: { Authorization: "Bearer {{jwt}}" },
              body: {},
            },
          },
        },
      })[0]?.path,
    ).toBe("connections.a.exchange");
    expect(
      issues({
        connections: {
          a: {
            scheme: "signed-jwt",
            secret: "s",
            jwt: { key: { field: "k" }, claims: {} },
            headers: { A: "{{jwt}}" },
            reuse: true,
          },
        },
      })[0]?.path,
    ).toBe("connections.a.reuse");
    expect(
      issues({
        connections: { g: { preset: "github-app", secret: "s", appId: "1", installationId: "x1" } },
      })[0]?.path,
    ).toBe("connections.g.installationId");
    expect(issues({ connections: { z: { preset: "zoom-server-to-server", secret: "s" } } })[0]?.path).toBe(
      "connections.z.accountId",
    );
  });
});

describe("one pass over every bad field", () => {
  it("a bad connection name is reported beside the other connections' errors, never instead of them", () => {
    const error = (() => {
      try {
        parseConfig({
          connections: {
            Bad_Name: { preset: "x-signature", secret: "s" },
            other: { preset: "nope", secret: "s" },
          },
        });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error?.issues.map((i) => i.path)).toEqual(["connections.Bad_Name", "connections.other.preset"]);
  });

  it("a bad stage name is reported beside the other stages' errors", () => {
    const good = JSON.parse(readFileSync("infra/stages.json", "utf8")).dev;
    const error = (() => {
      try {
        parseStages({ Bad_Stage: good, qa: { ...good, corsOrigins: ["*"] } }, "stages.json");
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error?.issues.map((i) => i.path)).toEqual(["Bad_Stage", "qa.corsOrigins.0"]);
  });
});

describe("settings (lib/runtime/settings.ts)", () => {
  it("reports every bad variable in one pass, each with its rule", () => {
    let error: ConfigError | undefined;
    try {
      readSettings({
        BROKER_SECRETS: "vault",
        BROKER_CACHE: "redis:x",
        BROKER_LEASE_SECONDS: "0",
        BROKER_PREWARM_WINDOW_SECONDS: "soon",
        BROKER_CORS_ORIGINS: "https://app.example.com/path",
        BROKER_AUDIT: "syslog",
      });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error?.issues.map((i) => i.path)).toEqual([
      "BROKER_SECRETS",
      "BROKER_LEASE_SECONDS",
      "BROKER_CACHE",
      "BROKER_CORS_ORIGINS",
      "BROKER_AUDIT",
      "BROKER_PREWARM_WINDOW_SECONDS",
    ]);
  });

  it("defaults: AWS secrets for 5 minutes, in-process cache, no origins, prewarm 600 s x 4", () => {
    expect(readSettings({})).toEqual({
      config: undefined,
      secrets: { kind: "aws" },
      secretsMaxAgeMs: 300_000,
      cache: { kind: "memory" },
      corsOrigins: [],
      allowAnonymous: false,
      prewarm: { windowMs: 600_000, concurrency: 4 },
      audit: { kind: "stdout" },
      events: { publish: { kind: "none" }, expiryWarningMs: 30 * 86_400_000 },
    });
  });
});

describe("scheme traits (lib/schemes/traits.ts)", () => {
  it("every connection carries its scheme's issuance trait, and it matches what the scheme does", () => {
    const config = loadConfigFile("examples/broker.config.json");
    for (const connection of config.connections.values()) {
      const definition = SCHEMES.find((s) => s.name === connection.scheme);
      const scheme = (definition?.create as (c: unknown) => { kind: string })(connection);
      expect(connection.issuance, connection.name).toBe(scheme.kind);
      expect(connection.issuance).toBe(
        SCHEME_TRAITS[connection.scheme as keyof typeof SCHEME_TRAITS].issuance,
      );
    }
  });
});

import { afterEach, describe, expect, it, vi } from "vitest";
import { logger } from "../../lib/observability/logger.ts";
import {
  encodedForms,
  MAX_TRACKED,
  REDACTED,
  redactText,
  registerSensitive,
  trackedSensitiveCount,
} from "../../lib/observability/redact.ts";

const SECRET = "unit-test-secret-value-42";

describe("redaction", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("replaces registered values and their encoded forms anywhere in a string", () => {
    registerSensitive(SECRET);
    const basic = Buffer.from(SECRET).toString("base64");
    expect(redactText(`a ${SECRET} b ${encodeURIComponent(SECRET)} c ${basic}`)).toBe(
      `a ${REDACTED} b ${REDACTED} c ${REDACTED}`,
    );
    registerSensitive("s3cret with space&sym");
    expect(redactText("client_secret=s3cret+with+space%26sym")).toBe(`client_secret=${REDACTED}`);
  });

  it("replaces JWT-shaped and Bearer/Basic credentials it was never told about", () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
    expect(redactText(`token ${jwt} end`)).toBe(`token ${REDACTED} end`);
    expect(redactText("Authorization: Bearer abcdef123456")).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(redactText("Basic dXNlcjpwYXNz")).toBe(`Basic ${REDACTED}`);
  });

  it("leaves short values and ordinary text alone", () => {
    registerSensitive("abc");
    expect(redactText("abc is fine, connection demo-signed, HTTP 502")).toBe(
      "abc is fine, connection demo-signed, HTTP 502",
    );
  });

  it("the logger redacts credential-named keys and registered values in every line", () => {
    const lines: string[] = [];
    // The logger writes info to stdout, warnings and errors to stderr.
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      });
    }
    logger.warn(`failed with ${SECRET}`, {
      authorization: "Bearer something-long",
      clientSecret: "plain-but-named-secret",
      headers: { cookie: "session=abc123456", "x-api-key": "k-123456789" },
      note: `embedded ${SECRET} value`,
      status: 502,
    });
    const out = lines.join("");
    expect(out).toContain("failed with [REDACTED]");
    for (const leaked of [
      SECRET,
      "something-long",
      "plain-but-named-secret",
      "session=abc123456",
      "k-123456789",
    ]) {
      expect(out).not.toContain(leaked);
    }
    expect(out).toContain('"status":502');
  });
});

describe("redaction registry bounds", () => {
  it("stays bounded however many per-request values a long-lived container registers", () => {
    registerSensitive("lasting-secret-field-value-0042", { lasting: true });
    for (let i = 0; i < 20_000; i++) registerSensitive(`minted-signature-value-${i}`);
    expect(trackedSensitiveCount()).toBeLessThanOrEqual(MAX_TRACKED.lasting + MAX_TRACKED.recent);
    // The most recent values and every secret field are still redacted; the oldest are forgotten.
    expect(redactText("minted-signature-value-19999")).toBe(REDACTED);
    expect(redactText("lasting-secret-field-value-0042")).toBe(REDACTED);
    expect(redactText("minted-signature-value-0 x")).toBe("minted-signature-value-0 x");
  });

  it("redacts the base64url and unpadded base64 forms too", () => {
    const value = "a-secret?with/odd+bytes~~";
    registerSensitive(value);
    for (const form of encodedForms(value)) expect(redactText(`x ${form} y`)).toBe(`x ${REDACTED} y`);
    expect(encodedForms(value)).toContain(Buffer.from(value).toString("base64url"));
  });
});

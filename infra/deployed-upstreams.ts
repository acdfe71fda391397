import { ConfigError } from "../lib/errors.ts";

/**
 * Upstream URLs a deployed stage may not use, found anywhere in the connections file as written
 * (so the path is the one the operator typed). Locally, plain http to loopback is how demos and
 * tests reach their stand-in upstreams; in Lambda, loopback is the runtime API and link-local is
 * the platform's, never an upstream, and plain http would send credentials in clear text.
 */
export function assertDeployableUpstreams(rawConfig: unknown, source: string): void {
  const issues: { path: string; message: string }[] = [];
  const walk = (value: unknown, path: string[]) => {
    if (typeof value === "string") {
      const problem = refusal(value);
      if (problem) issues.push({ path: path.join("."), message: problem });
    } else if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, String(i)]));
    else if (value && typeof value === "object")
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(rawConfig, []);
  if (issues.length > 0) throw new ConfigError(`${source} (deployed stage)`, issues);
}

function refusal(value: string): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined; // not a URL; the connection schema judges the field itself
  }
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const local =
    host === "localhost" ||
    host.endsWith(".localhost") ||
    /^127\./.test(host) ||
    /^169\.254\./.test(host) ||
    host === "0.0.0.0" ||
    host === "::1" ||
    host === "::" ||
    /^fe80:/.test(host);
  if (local)
    return `a deployed stage cannot call ${host}: loopback and link-local are not upstreams in Lambda`;
  if (url.protocol !== "https:") return "a deployed stage calls upstreams over https only";
  return undefined;
}

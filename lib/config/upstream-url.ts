/**
 * Why a URL may not be an upstream, or undefined when it may: https only, plain http only to
 * loopback (local runs and tests), since anything else would send credentials in clear text.
 * No zod: the deployed functions check discovered endpoints with it at run time too.
 */
/**
 * Where the broker runs decides what an upstream may be: "local" admits plain http to loopback
 * (demos and tests); "deployed" (written into the resolved config at synth) refuses loopback,
 * link-local and plain http, for configured URLs at synth and for discovered ones at run time.
 */
export type UpstreamPolicy = "local" | "deployed";

export function upstreamUrlProblem(value: string, policy: UpstreamPolicy = "local"): string | undefined {
  if (policy === "deployed") {
    const problem = deployedUpstreamUrlProblem(value);
    if (problem) return problem;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "must be a URL";
  }
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  if (url.protocol === "https:" || (url.protocol === "http:" && loopback)) return undefined;
  return "must be https (plain http is allowed only for 127.0.0.1/localhost/[::1])";
}

/** Why a deployed stage may not call this URL (loopback, link-local, plain http), or undefined. */
export function deployedUpstreamUrlProblem(value: string): string | undefined {
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

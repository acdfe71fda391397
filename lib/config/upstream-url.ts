/**
 * Why a URL may not be an upstream, or undefined when it may: https only, plain http only to
 * loopback (local runs and tests), since anything else would send credentials in clear text.
 * No zod: the deployed functions check discovered endpoints with it at run time too.
 */
export function upstreamUrlProblem(value: string): string | undefined {
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

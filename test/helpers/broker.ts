import { Broker } from "../../lib/broker.ts";
import type { TokenCache } from "../../lib/cache/token-cache.ts";
import { parseConfig } from "../../lib/config/broker-config.ts";
import type { UpstreamPolicy } from "../../lib/config/upstream-url.ts";
import type { HttpClient } from "../../lib/upstream/http-client.ts";
import { MemorySecrets } from "./secrets.ts";
import { deliveredAsHeaders } from "./delivery.ts";

export interface TestBrokerOptions {
  now?: () => number;
  cache?: TokenCache;
  http?: HttpClient;
  /** As synth writes it for a deployed stage ("deployed") or local runs leave it. */
  upstreamPolicy?: UpstreamPolicy;
}

/** A broker over an inline config and in-memory secrets. */
export function testBroker(
  connections: Record<string, unknown>,
  secrets: Record<string, Record<string, string>>,
  options: TestBrokerOptions = {},
) {
  const secretSource = new MemorySecrets(secrets);
  const { upstreamPolicy, ...rest } = options;
  const config = {
    ...parseConfig({ connections: deliveredAsHeaders(connections) }),
    ...(upstreamPolicy ? { upstreamPolicy } : {}),
  };
  const broker = new Broker({ config, secrets: secretSource, ...rest });
  return { broker, secrets: secretSource };
}

import { Broker } from "../../lib/broker.ts";
import type { TokenCache } from "../../lib/cache/token-cache.ts";
import { parseConfig } from "../../lib/config/broker-config.ts";
import type { HttpClient } from "../../lib/upstream/http-client.ts";
import { MemorySecrets } from "./secrets.ts";

export interface TestBrokerOptions {
  now?: () => number;
  cache?: TokenCache;
  http?: HttpClient;
}

/** A broker over an inline config and in-memory secrets. */
export function testBroker(
  connections: Record<string, unknown>,
  secrets: Record<string, Record<string, string>>,
  options: TestBrokerOptions = {},
) {
  const secretSource = new MemorySecrets(secrets);
  const broker = new Broker({ config: parseConfig({ connections }), secrets: secretSource, ...options });
  return { broker, secrets: secretSource };
}

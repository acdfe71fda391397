/**
 * Tests of issuance and caching read credentials through the token route or the broker: like an
 * operator who chose headers delivery for a shared or replayable credential, they say so, for every
 * connection that names neither a delivery nor a proxy.
 */
export function deliveredAsHeaders(connections: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(connections).map(([name, c]) => [
      name,
      c === null || typeof c !== "object" || "delivery" in c || "proxy" in c
        ? c
        : { ...c, delivery: "headers" },
    ]),
  );
}

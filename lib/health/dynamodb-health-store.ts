import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { N, num, S, str } from "../cache/attribute-values.ts";
import {
  type ConnectionHealth,
  type FailureReport,
  type HealthStore,
  rejectedBackoffMs,
} from "./connection-health.ts";

/** The connection-health attributes of an item (metadata: never a value). */
export const HEALTH_ATTRIBUTES = [
  "healthAt",
  "healthOutcome",
  "healthProblem",
  "healthUpstreamStatus",
  "healthUpstreamError",
  "failures",
  "rejectedUntil",
  "rejectedSecretVersion",
];

/** Per transition topic: the attribute holding the state its last lifecycle event announced. */
export const TRANSITION_ATTRIBUTES = { health: "announcedHealth", expiry: "announcedExpiry" } as const;

/** The health an item records (an item without any: no failures). */
export function healthOf(item: Record<string, AttributeValue>): ConnectionHealth {
  const health: ConnectionHealth = { consecutiveFailures: num(item, "failures") ?? 0 };
  const outcome = str(item, "healthOutcome");
  const fields: [keyof ConnectionHealth, unknown][] = [
    ["lastOutcomeAt", num(item, "healthAt")],
    ["lastOutcome", outcome === "ok" || outcome === "failed" ? outcome : undefined],
    ["lastProblemType", str(item, "healthProblem")],
    ["lastUpstreamStatus", num(item, "healthUpstreamStatus")],
    ["lastUpstreamError", str(item, "healthUpstreamError")],
    ["rejectedUntil", num(item, "rejectedUntil")],
    ["rejectedSecretVersion", str(item, "rejectedSecretVersion")],
  ];
  for (const [name, value] of fields) if (value !== undefined) Object.assign(health, { [name]: value });
  return health;
}

/**
 * Connection health in the token table: attributes of each connection's item, beside its tokens
 * (lib/cache/dynamodb-token-store.ts owns the layout), shared by every instance. Never a value:
 * times, problem types, upstream statuses and codes, the breaker's backoff and the forced-refresh
 * interval.
 */
export class DynamoDbHealthStore implements HealthStore {
  readonly #client: DynamoDBClient;
  readonly tableName: string;

  constructor(client: DynamoDBClient, tableName: string) {
    this.#client = client;
    this.tableName = tableName;
  }

  async readHealth(key: string): Promise<ConnectionHealth | undefined> {
    const { Item: item } = await this.#client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { pk: S(key) },
        ConsistentRead: true,
        ProjectionExpression: HEALTH_ATTRIBUTES.join(", "),
      }),
    );
    return item ? healthOf(item) : undefined;
  }

  async recordFailure(key: string, failure: FailureReport): Promise<ConnectionHealth> {
    const values: Record<string, AttributeValue> = {
      ":at": N(failure.at),
      ":failed": S("failed"),
      ":problem": S(failure.problemType),
      ":one": N(1),
    };
    const set = ["healthAt = :at", "healthOutcome = :failed", "healthProblem = :problem"];
    const remove: string[] = [];
    for (const [attribute, value] of [
      ["healthUpstreamStatus", failure.upstreamStatus === undefined ? undefined : N(failure.upstreamStatus)],
      ["healthUpstreamError", failure.upstreamError === undefined ? undefined : S(failure.upstreamError)],
    ] as const) {
      if (value) {
        set.push(`${attribute} = :${attribute}`);
        values[`:${attribute}`] = value;
      } else remove.push(attribute);
    }
    if (failure.rejectedSecretVersion === undefined) remove.push("rejectedUntil", "rejectedSecretVersion");
    const { Attributes: updated } = await this.#client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: S(key) },
        UpdateExpression: `SET ${set.join(", ")} ADD failures :one${remove.length ? ` REMOVE ${remove.join(", ")}` : ""}`,
        ExpressionAttributeValues: values,
        ReturnValues: "ALL_NEW",
      }),
    );
    const health = healthOf(updated ?? {});
    if (failure.rejectedSecretVersion !== undefined) {
      // The backoff doubles with the count this very update produced: a second write, on failures only.
      health.rejectedUntil = failure.at + rejectedBackoffMs(health.consecutiveFailures);
      health.rejectedSecretVersion = failure.rejectedSecretVersion;
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: S(key) },
          UpdateExpression: "SET rejectedUntil = :until, rejectedSecretVersion = :version",
          ExpressionAttributeValues: {
            ":until": N(health.rejectedUntil),
            ":version": S(failure.rejectedSecretVersion),
          },
        }),
      );
    }
    return health;
  }

  async recordSuccess(key: string, at: number): Promise<void> {
    await this.#client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: S(key) },
        UpdateExpression:
          "SET healthAt = :at, healthOutcome = :ok, failures = :zero REMOVE healthProblem, healthUpstreamStatus, healthUpstreamError, rejectedUntil, rejectedSecretVersion",
        ExpressionAttributeValues: { ":at": N(at), ":ok": S("ok"), ":zero": N(0) },
      }),
    );
  }

  /** One conditional write: the caller that moves the announced state is the one that publishes. */
  async claimTransition(
    key: string,
    topic: keyof typeof TRANSITION_ATTRIBUTES,
    state: string,
    options: { onlyFromOther?: boolean } = {},
  ): Promise<{ claimed: boolean; previous?: string }> {
    try {
      const { Attributes: old } = await this.#client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: S(key) },
          UpdateExpression: "SET #state = :state",
          ConditionExpression: options.onlyFromOther
            ? "attribute_exists(#state) AND #state <> :state"
            : "attribute_not_exists(#state) OR #state <> :state",
          ExpressionAttributeNames: { "#state": TRANSITION_ATTRIBUTES[topic] },
          ExpressionAttributeValues: { ":state": S(state) },
          ReturnValues: "UPDATED_OLD",
        }),
      );
      const previous = old ? str(old, TRANSITION_ATTRIBUTES[topic]) : undefined;
      return { claimed: true, ...(previous !== undefined ? { previous } : {}) };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { claimed: false };
      throw error;
    }
  }

  async claimForcedRefresh(key: string, at: number, intervalMs: number): Promise<number | undefined> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: S(key) },
          UpdateExpression: "SET forcedRefreshAt = :at",
          ConditionExpression: "attribute_not_exists(forcedRefreshAt) OR forcedRefreshAt <= :cutoff",
          ExpressionAttributeValues: { ":at": N(at), ":cutoff": N(at - intervalMs) },
        }),
      );
      return undefined;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const { Item: item } = await this.#client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { pk: S(key) },
        ConsistentRead: true,
        ProjectionExpression: "forcedRefreshAt",
      }),
    );
    const last = item ? num(item, "forcedRefreshAt") : undefined;
    return Math.max(1, (last ?? at) + intervalMs - at);
  }
}

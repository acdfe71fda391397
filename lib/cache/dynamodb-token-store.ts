import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { N, num, S, str } from "./attribute-values.ts";
import { logger } from "../observability/logger.ts";
import type { TokenSet } from "../schemes/scheme.ts";
import type { ConnectionHealth } from "../health/connection-health.ts";
import { HEALTH_ATTRIBUTES, healthOf, TRANSITION_ATTRIBUTES } from "../health/dynamodb-health-store.ts";
import { SEALED_PREFIX, SealedValueError, type TokenSealer } from "./token-sealer.ts";

/**
 * Table layout (one item per connection cache key):
 *
 * | attribute | type | meaning |
 * |---|---|---|
 * | pk | S | partition key: the cache key (connection name + config fingerprint) |
 * | accessToken, expiresAt | S, N | the token, sealed (AES-256-GCM), and its expiry (epoch ms) |
 * | refreshToken, refreshExpiresAt | S, N | optional refresh token, sealed, and its expiry |
 * | dataKey | S | the wrapped data key both token fields are sealed under (base64) |
 * | obtainedAt, secretVersion | N, S | when, and from which secret version, it was obtained |
 * | version | N | incremented on every token write (conditional writes compare it) |
 * | leaseOwner, leaseExpiresAt | S, N | the instance refreshing right now, until when (epoch ms) |
 * | cooldownUntil | N | upstream asked to back off (429/503 Retry-After) until then (epoch ms) |
 * | health*, failures, rejectedUntil, rejectedSecretVersion | | connection health and breaker (HEALTH_ATTRIBUTES) |
 * | forcedRefreshAt | N | the last refresh a caller's report forced, for the per-connection interval (epoch ms) |
 * | announcedHealth, announcedExpiry | S | the last state a lifecycle event announced (TRANSITION_ATTRIBUTES) |
 * | ttl | N | epoch *seconds* for DynamoDB TTL: garbage collection only, reads check expiry |
 */
export const TABLE_PARTITION_KEY = "pk";

/**
 * Every DynamoDB action the deployed functions perform on the table (GetItem reads, every write an
 * UpdateItem, never a PutItem: an item's other attributes must survive). The stack grants exactly
 * these; a test compares them with the commands the code sends.
 */
export const TABLE_ACTIONS = ["dynamodb:GetItem", "dynamodb:UpdateItem"] as const;
export const TABLE_TTL_ATTRIBUTE = "ttl";

/** Items outlive their last useful token by this much (TTL deletion is lazy anyway). */
const TTL_GRACE_SECONDS = 3600;

export interface StoredTokens {
  /** Absent on an item that only carries a lease (first refresh in progress). */
  tokens?: TokenSet;
  version: number;
  leaseOwner?: string;
  leaseExpiresAt?: number;
  cooldownUntil?: number;
  /** The connection's health and breaker, from the same read (no second GetItem). */
  health: ConnectionHealth;
}

/** Every attribute that is metadata, never a value: what an operator's tools may read. */
export const METADATA_ATTRIBUTES = [
  TABLE_PARTITION_KEY,
  "expiresAt",
  "refreshExpiresAt",
  "obtainedAt",
  "secretVersion",
  "version",
  "leaseOwner",
  "leaseExpiresAt",
  "cooldownUntil",
  "forcedRefreshAt",
  ...HEALTH_ATTRIBUTES,
  ...Object.values(TRANSITION_ATTRIBUTES),
];

/** Binds a sealed value to its item and field: it opens nowhere else. */
const aad = (key: string, field: string) => `${key}\u0000${field}`;

/**
 * Raw item operations; the lease and refresh rules live in DynamoDbTokenLoader. The token fields are
 * sealed (TokenSealer) so that reading the table (GetItem, Scan, a console, an export, a restored
 * backup) yields no live credential.
 */
export class DynamoDbTokenStore {
  readonly #client: DynamoDBClient;
  readonly #sealer: TokenSealer;
  readonly tableName: string;

  constructor(client: DynamoDBClient, tableName: string, sealer: TokenSealer) {
    this.#client = client;
    this.tableName = tableName;
    this.#sealer = sealer;
  }

  async read(key: string): Promise<StoredTokens | undefined> {
    const { Item: item } = await this.#client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { pk: S(key) }, ConsistentRead: true }),
    );
    if (!item) return undefined;
    const stored: StoredTokens = { version: num(item, "version") ?? 0, health: healthOf(item) };
    const expiresAt = num(item, "expiresAt");
    const fields = expiresAt === undefined ? undefined : await this.#openFields(key, item);
    if (fields && expiresAt !== undefined) {
      const tokens: TokenSet = {
        accessToken: fields.accessToken,
        expiresAt,
        obtainedAt: num(item, "obtainedAt") ?? 0,
        secretVersion: str(item, "secretVersion") ?? "",
      };
      const refreshExpiresAt = num(item, "refreshExpiresAt");
      if (fields.refreshToken) tokens.refreshToken = fields.refreshToken;
      if (refreshExpiresAt !== undefined) tokens.refreshExpiresAt = refreshExpiresAt;
      stored.tokens = tokens;
    }
    const leaseOwner = str(item, "leaseOwner");
    const leaseExpiresAt = num(item, "leaseExpiresAt");
    const cooldownUntil = num(item, "cooldownUntil");
    if (leaseOwner) stored.leaseOwner = leaseOwner;
    if (leaseExpiresAt !== undefined) stored.leaseExpiresAt = leaseExpiresAt;
    if (cooldownUntil !== undefined) stored.cooldownUntil = cooldownUntil;
    return stored;
  }

  /** The item's token fields in clear; undefined when they do not open (treated as no token). */
  async #openFields(
    key: string,
    item: Record<string, AttributeValue>,
  ): Promise<{ accessToken: string; refreshToken?: string } | undefined> {
    const accessToken = str(item, "accessToken");
    const refreshToken = str(item, "refreshToken");
    if (!accessToken) return undefined;
    const dataKey = str(item, "dataKey");
    if (dataKey === undefined) {
      // Written before encryption: served this once, and sealed in place.
      if (accessToken.startsWith(SEALED_PREFIX)) return undefined;
      await this.#sealInPlace(key, accessToken, refreshToken, num(item, "version") ?? 0);
      return { accessToken, ...(refreshToken ? { refreshToken } : {}) };
    }
    try {
      const { open } = await this.#sealer.opener(dataKey);
      return {
        accessToken: open(accessToken, aad(key, "accessToken")),
        ...(refreshToken ? { refreshToken: open(refreshToken, aad(key, "refreshToken")) } : {}),
      };
    } catch (error) {
      if (!(error instanceof SealedValueError)) throw error; // KMS trouble: the cache degrades
      logger.warn("a token cache item does not open (tampered, copied or foreign key); ignoring its tokens", {
        cacheKey: key,
      });
      return undefined;
    }
  }

  async #sealInPlace(key: string, accessToken: string, refreshToken: string | undefined, version: number) {
    const { wrapped, seal } = await this.#sealer.sealer();
    const values: Record<string, AttributeValue> = {
      ":a": S(seal(accessToken, aad(key, "accessToken"))),
      ":k": S(wrapped),
      ":v": N(version),
    };
    if (refreshToken) values[":r"] = S(seal(refreshToken, aad(key, "refreshToken")));
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: S(key) },
          UpdateExpression: `SET accessToken = :a, dataKey = :k${refreshToken ? ", refreshToken = :r" : ""}`,
          ConditionExpression: "attribute_not_exists(dataKey) AND version = :v",
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error; // someone wrote meanwhile
    }
  }

  /**
   * Takes the refresh lease if nobody holds it, it has expired (its holder died), or we hold it.
   * Creates the item if needed. Answers `undefined` when another live lease exists; otherwise
   * whether a lease was still recorded when we took it (`abandoned`): its holder never stored or
   * released, so a refresh it may have sent could have spent the stored refresh token.
   */
  async acquireLease(
    key: string,
    owner: string,
    now: number,
    leaseMs: number,
  ): Promise<{ abandoned: boolean } | undefined> {
    try {
      const { Attributes: old } = await this.#client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: S(key) },
          UpdateExpression:
            "SET leaseOwner = :owner, leaseExpiresAt = :until, #ttl = if_not_exists(#ttl, :ttl)",
          ConditionExpression:
            "attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt <= :now OR leaseOwner = :owner",
          ExpressionAttributeNames: { "#ttl": TABLE_TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ":owner": S(owner),
            ":until": N(now + leaseMs),
            ":now": N(now),
            ":ttl": N(Math.ceil((now + leaseMs) / 1000) + TTL_GRACE_SECONDS),
          },
          ReturnValues: "UPDATED_OLD",
        }),
      );
      return { abandoned: old?.leaseOwner?.S !== undefined };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /**
   * Stores new tokens and releases the lease in one write, only if we still hold the lease and
   * nobody wrote since we read `expectedVersion` (RFC 9700: never let two refreshes both win).
   */
  async save(key: string, tokens: TokenSet, owner: string, expectedVersion: number): Promise<boolean> {
    const { wrapped, seal } = await this.#sealer.sealer();
    // An update, not a put: the item's other attributes (connection health) survive the write.
    const set: Record<string, AttributeValue> = {
      accessToken: S(seal(tokens.accessToken, aad(key, "accessToken"))),
      dataKey: S(wrapped),
      expiresAt: N(tokens.expiresAt),
      obtainedAt: N(tokens.obtainedAt),
      secretVersion: S(tokens.secretVersion),
      version: N(expectedVersion + 1),
      [TABLE_TTL_ATTRIBUTE]: N(
        Math.ceil(Math.max(tokens.expiresAt, tokens.refreshExpiresAt ?? 0) / 1000) + TTL_GRACE_SECONDS,
      ),
    };
    const remove = ["leaseOwner", "leaseExpiresAt", "cooldownUntil"];
    if (tokens.refreshToken) set.refreshToken = S(seal(tokens.refreshToken, aad(key, "refreshToken")));
    else remove.push("refreshToken");
    if (tokens.refreshExpiresAt !== undefined) set.refreshExpiresAt = N(tokens.refreshExpiresAt);
    else remove.push("refreshExpiresAt");
    const names = Object.fromEntries(Object.keys(set).map((name, i) => [`#s${i}`, name]));
    const values = Object.fromEntries(Object.values(set).map((value, i) => [`:s${i}`, value]));
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: S(key) },
          UpdateExpression: `SET ${Object.keys(names)
            .map((n, i) => `${n} = :s${i}`)
            .join(", ")} REMOVE ${remove.join(", ")}`,
          ConditionExpression:
            "leaseOwner = :owner AND (attribute_not_exists(version) OR version = :expected)",
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ...values, ":owner": S(owner), ":expected": N(expectedVersion) },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Gives the lease back (refresh failed or was unnecessary), optionally recording a cooldown, and
   * dropping the stored refresh token when it may have been spent (never replay it: RFC 9700).
   */
  async releaseLease(
    key: string,
    owner: string,
    options: { cooldownUntil?: number; dropRefreshToken?: boolean } = {},
  ): Promise<void> {
    const { cooldownUntil, dropRefreshToken } = options;
    const remove = [
      "leaseOwner",
      "leaseExpiresAt",
      ...(dropRefreshToken ? ["refreshToken", "refreshExpiresAt"] : []),
    ];
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: S(key) },
          UpdateExpression: `REMOVE ${remove.join(", ")}${cooldownUntil ? " SET cooldownUntil = :cooldown" : ""}`,
          ConditionExpression: "leaseOwner = :owner",
          ExpressionAttributeValues: {
            ":owner": S(owner),
            ...(cooldownUntil ? { ":cooldown": N(cooldownUntil) } : {}),
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

import { jsonLinesWriter } from "../observability/json-lines.ts";
import { logger } from "../observability/logger.ts";

/**
 * Lifecycle events: a connection changed state. One event per change across every instance: the
 * shared item decides who publishes (TransitionStore.claimTransition, a conditional write), or
 * the refresh lease already did (lease takeover, a new secret version stored under the lease).
 * Never a value: names, secret version ids, problem types, statuses and times. docs/operations.md#lifecycle-events
 * is the catalogue.
 */
export const EVENT_SOURCE = "token-broker";

export interface LifecycleEventDetails {
  /** The token endpoint refuses the connection's credentials (or keeps refusing): the breaker opened. */
  "credentials-rejected": {
    secretVersion: string;
    problemType: string;
    upstreamStatus?: number;
    retryAt: string;
  };
  /** A connection that was rejected or failing obtained a token again. */
  "connection-recovered": { previousState: "credentials-rejected" | "refreshes-failing" };
  /** Refreshes failed this many times in a row (5xx, timeouts, bad answers). */
  "refreshes-failing": { consecutiveFailures: number; problemType: string; upstreamStatus?: number };
  /** A token was obtained with a secret version other than the one before it. */
  "secret-version-first-used": { secretVersion: string; previousSecretVersion: string };
  /** An instance died holding the refresh lease; its refresh token was dropped and the chain re-exchanged. */
  "lease-holder-died": { reExchanged: true };
  /** A credential with a known expiry (a certificate's notAfter, a date the secret declares) is near it. */
  "credential-near-expiry": {
    what: "certificate" | "secret";
    field: string;
    expiresAt: string;
    daysLeft: number;
  };
}

export type LifecycleEventType = keyof LifecycleEventDetails;

export interface LifecycleEvent<T extends LifecycleEventType = LifecycleEventType> {
  type: T;
  detail: { connection: string; at: string } & LifecycleEventDetails[T];
}

export interface EventPublisher {
  publish(event: LifecycleEvent): Promise<void>;
}

export type EventsSetting =
  { kind: "none" } | { kind: "file"; path: string } | { kind: "eventbridge"; bus: string };

/** Refreshes failing this many times in a row is an event (once, until the connection recovers). */
export const FAILING_AFTER = 3;

/**
 * Where a state change is claimed: the shared item (DynamoDbHealthStore) or in process. `claimed`
 * is true for exactly one caller per change; `previous` is the state it replaced.
 */
export interface TransitionStore {
  claimTransition(
    key: string,
    topic: "health" | "expiry",
    state: string,
    options?: { onlyFromOther?: boolean },
  ): Promise<{ claimed: boolean; previous?: string }>;
}

export function publisherFor(setting: EventsSetting): EventPublisher | undefined {
  if (setting.kind === "none") return undefined;
  if (setting.kind === "file") {
    const write = jsonLinesWriter(setting);
    return { publish: async (event) => write({ source: EVENT_SOURCE, ...event }) };
  }
  return new EventBridgePublisher(setting.bus);
}

/** PutEvents on the stage's bus. The SDK client is imported by the first event, never at init. */
class EventBridgePublisher implements EventPublisher {
  readonly #bus: string;
  #send?: Promise<(event: LifecycleEvent) => Promise<void>>;

  constructor(bus: string) {
    this.#bus = bus;
  }

  async publish(event: LifecycleEvent): Promise<void> {
    this.#send ??= import("../runtime/deferred.ts").then((m) => m.eventBridgeSender(this.#bus));
    const send = await this.#send;
    await send(event);
  }
}

/**
 * Publishes lifecycle events for the broker. Never fails a request: a claim or a publish that
 * fails is logged (names only) and the request goes on.
 */
export class LifecycleEvents {
  readonly #store: TransitionStore;
  readonly #publisher: EventPublisher | undefined;
  readonly #now: () => number;

  constructor(store: TransitionStore, publisher: EventPublisher | undefined, now: () => number) {
    this.#store = store;
    this.#publisher = publisher;
    this.#now = now;
  }

  get enabled(): boolean {
    return this.#publisher !== undefined;
  }

  /** Claims the change of `topic` to `state` in the shared item; publishes if this caller won it. */
  async onTransition<T extends LifecycleEventType>(
    connection: string,
    key: string,
    topic: "health" | "expiry",
    state: string,
    event: (previous: string | undefined) => { type: T; detail: LifecycleEventDetails[T] } | undefined,
    options?: { onlyFromOther?: boolean },
  ): Promise<void> {
    if (!this.#publisher) return;
    try {
      const { claimed, previous } = await this.#store.claimTransition(key, topic, state, options);
      if (!claimed) return;
      const made = event(previous);
      if (made) await this.#send(connection, made);
    } catch (error) {
      this.#failed(connection, error);
    }
  }

  /** An event the caller already won the right to publish (the refresh lease decided it). */
  async publish<T extends LifecycleEventType>(
    connection: string,
    event: { type: T; detail: LifecycleEventDetails[T] },
  ): Promise<void> {
    if (!this.#publisher) return;
    try {
      await this.#send(connection, event);
    } catch (error) {
      this.#failed(connection, error);
    }
  }

  async #send<T extends LifecycleEventType>(
    connection: string,
    event: { type: T; detail: LifecycleEventDetails[T] },
  ): Promise<void> {
    await this.#publisher?.publish({
      type: event.type,
      detail: { connection, at: new Date(this.#now()).toISOString(), ...event.detail },
    });
    logger.info("lifecycle event published", { connection, eventType: event.type });
  }

  #failed(connection: string, error: unknown): void {
    logger.warn("lifecycle event not published", { connection, errorName: (error as Error)?.name });
  }
}

import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { boundedAwsClient } from "../runtime/aws-call-limits.ts";
import { EVENT_SOURCE, type LifecycleEvent } from "./lifecycle-events.ts";

/** PutEvents of one lifecycle event on a bus; a refused entry is an error. */
export function eventBridgeSender(bus: string): (event: LifecycleEvent) => Promise<void> {
  const client = new EventBridgeClient(boundedAwsClient());
  return async (event) => {
    const { FailedEntryCount, Entries } = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: bus,
            Source: EVENT_SOURCE,
            DetailType: event.type,
            Detail: JSON.stringify(event.detail),
          },
        ],
      }),
    );
    if (FailedEntryCount)
      throw new Error(`PutEvents refused the event: ${Entries?.[0]?.ErrorCode ?? "unknown"}`);
  };
}

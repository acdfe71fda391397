import * as z from "zod/mini";
import { connectionBase, upstreamUrl } from "../config/common.ts";
import { intRange, text } from "../config/schema-helpers.ts";
import { commonFields, type PresetDefinition } from "./preset.ts";

const schema = z.strictObject({
  preset: z.literal("zoom-server-to-server"),
  ...connectionBase,
  accountId: text(1, 128),
  tokenUrl: z._default(upstreamUrl, "https://zoom.us/oauth/token"),
  skewSeconds: z.optional(intRange(0, 3600)),
  prewarm: z.optional(z.boolean()),
});

/**
 * Zoom Server-to-Server OAuth: `POST https://zoom.us/oauth/token?account_id=<id>` with
 * grant_type=account_credentials and HTTP Basic client authentication; one-hour tokens. Secret
 * fields: clientId, clientSecret.
 */
export const zoomServerToServerPreset: PresetDefinition<typeof schema> = {
  name: "zoom-server-to-server",
  reference: "Zoom: Server-to-Server OAuth",
  schema,
  expand: ({ accountId, tokenUrl, ...options }) => ({
    ...commonFields(options),
    scheme: "oauth2-client-credentials",
    tokenUrl,
    grantType: "account_credentials",
    queryParams: { account_id: accountId },
    clientAuth: { method: "client_secret_basic" },
  }),
};

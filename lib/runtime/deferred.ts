/**
 * Everything the cold start does not load, behind one dynamic import: the shared cache (DynamoDB
 * and KMS clients), the exchanged schemes' code and the EventBridge client. One chunk entry, not one per client: with code
 * splitting, each dynamic entry that shares SDK modules with the init code adds shared chunks the
 * cold start must read (a separate EventBridge entry cost two more files at init, ~5 % of it).
 */
export { sharedTokenCache } from "../cache/shared-token-cache.ts";
export { eventBridgeSender } from "../events/eventbridge-sender.ts";
export { oauth2ClientCredentialsScheme } from "../schemes/oauth2-client-credentials.ts";
export { tokenExchangeScheme } from "../schemes/token-exchange.ts";

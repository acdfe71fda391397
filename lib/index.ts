/**
 * The broker as a library: validate a connections file, build a broker, serve the API in your own
 * process, and the record and event types an operator's tools read. The CDK construct is
 * `token-broker/cdk`; the browser client is its own package.
 */
export { Broker, type BrokerOptions, type IssuedCredential, type GetCredentialOptions } from "./broker.ts";
export {
  parseConfig,
  loadConfigFile,
  type BrokerConfig,
  type ConnectionConfig,
} from "./config/broker-config.ts";
export { type Exposure, EXPOSURE_RISK } from "./schemes/traits.ts";
export { brokerFrom, brokerFromEnv } from "./runtime/broker-from-env.ts";
export { readSettings, type Settings } from "./runtime/settings.ts";
export { handleApiRequest, type ApiRequest } from "./http/token-api.ts";
export { ROUTES } from "./http/routes.ts";
export { AUDIT_FORMAT, type AuditRecord, type AuditDecision } from "./audit/audit-record.ts";
export {
  EVENT_SOURCE,
  type LifecycleEvent,
  type LifecycleEventType,
  type LifecycleEventDetails,
  type EventPublisher,
} from "./events/lifecycle-events.ts";
export * from "./errors.ts";

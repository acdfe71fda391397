import { jsonLinesWriter, type JsonLinesTarget } from "../observability/json-lines.ts";
import type { AuditRecord } from "./audit-record.ts";

/** Where records go: stdout in Lambda (the log subscription picks them out), a file or stdout locally. */
export type AuditSink = (record: AuditRecord) => void;

export type AuditSetting = JsonLinesTarget;

export const auditSink = (setting: AuditSetting): AuditSink => jsonLinesWriter(setting);

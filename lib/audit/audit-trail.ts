import { openSync, writeSync } from "node:fs";
import type { AuditRecord } from "./audit-record.ts";

/** Where records go: stdout in Lambda (the log subscription picks them out), a file or stdout locally. */
export type AuditSink = (record: AuditRecord) => void;

export type AuditSetting = { kind: "stdout" } | { kind: "file"; path: string };

export function auditSink(setting: AuditSetting): AuditSink {
  // Written straight to stdout, as Powertools' logger does: one JSON object per line, not wrapped
  // by the runtime's console, so the subscription filter can match on `audit`.
  if (setting.kind === "stdout") return (record) => void process.stdout.write(`${JSON.stringify(record)}\n`);
  let fd: number | undefined; // opened once, on the first record: one write per request after that
  return (record) => void writeSync((fd ??= openSync(setting.path, "a")), `${JSON.stringify(record)}\n`);
}

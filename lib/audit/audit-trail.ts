import { AsyncLocalStorage } from "node:async_hooks";
import { openSync, writeSync } from "node:fs";
import { type AuditNote, type AuditRecord } from "./audit-record.ts";

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

const current = new AsyncLocalStorage<AuditNote>();

/**
 * Runs one request with its audit note in scope: the routes add what they learn (noteAudit), the
 * caller of `audited` writes exactly one record when the answer is known, whatever happened.
 */
export function audited<T>(note: AuditNote, fn: () => Promise<T>): Promise<T> {
  return current.run(note, fn);
}

/** Adds to the current request's record (outside an audited request: nothing to add to). */
export function noteAudit(note: AuditNote): void {
  const target = current.getStore();
  if (target) Object.assign(target, note);
}

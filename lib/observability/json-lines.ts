import { openSync, writeSync } from "node:fs";

/** Where a stream of JSON records goes: stdout, or a file appended to. */
export type JsonLinesTarget = { kind: "stdout" } | { kind: "file"; path: string };

/**
 * One JSON object per line. Stdout is written to directly, as Powertools' logger does, not through
 * the runtime's console (which would wrap the line), so a log subscription filter can match on a
 * record's fields. A file is opened once, by the first record: one write per record after that.
 */
export function jsonLinesWriter(target: JsonLinesTarget): (record: unknown) => void {
  if (target.kind === "stdout") return (record) => void process.stdout.write(`${JSON.stringify(record)}\n`);
  let fd: number | undefined;
  return (record) => void writeSync((fd ??= openSync(target.path, "a")), `${JSON.stringify(record)}\n`);
}

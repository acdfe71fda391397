/** How AWS Lambda Powertools reads a boolean environment variable (so POWERTOOLS_DEV=1 works as before). */
export function envFlag(value: string | undefined): boolean | undefined {
  const v = value?.trim().toLowerCase();
  if (v === undefined || v === "") return undefined;
  return ["1", "true", "on", "yes", "y"].includes(v);
}

/**
 * `{{name}}` placeholders in config strings. A string that is exactly one placeholder renders to
 * the raw value; otherwise values are interpolated as text. Which names a template may use is
 * fixed per place in the config and checked at load, so a typo fails there, not at request time.
 */
const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;

export interface RenderVars {
  secret?: Readonly<Record<string, string>>;
  [name: string]: string | Readonly<Record<string, string>> | undefined;
}

/** Thrown when a placeholder has no value at render time; callers map it to their own error. */
export class MissingTemplateValueError extends Error {
  override name = "MissingTemplateValueError";
  readonly placeholder: string;
  constructor(placeholder: string) {
    super(`No value for {{${placeholder}}}.`);
    this.placeholder = placeholder;
  }
}

export function placeholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] as string);
}

function lookup(name: string, vars: RenderVars): string {
  const value = name.startsWith("secret.") ? vars.secret?.[name.slice(7)] : vars[name];
  if (typeof value !== "string" || value === "") throw new MissingTemplateValueError(name);
  return value;
}

export function renderString(template: string, vars: RenderVars): string {
  return template.replace(PLACEHOLDER, (_, name: string) => lookup(name, vars));
}

/** Renders every string inside a JSON value (objects and arrays recursively). */
export function renderJson(template: unknown, vars: RenderVars): unknown {
  if (typeof template === "string") return renderString(template, vars);
  if (Array.isArray(template)) return template.map((item) => renderJson(item, vars));
  if (template !== null && typeof template === "object") {
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, renderJson(v, vars)]));
  }
  return template;
}

export function allowedText(allowed: readonly string[]) {
  return allowed.map((a) => `{{${a === "secret" ? "secret.<field>" : a}}}`).join(", ");
}

export function unknownPlaceholders(template: string, allowed: readonly string[]): string[] {
  return placeholders(template).filter((name) => {
    if (name.startsWith("secret.")) return !allowed.includes("secret") || name.length === 7;
    return !allowed.includes(name);
  });
}

import * as z from "zod/mini";
import { PRESETS } from "../presets/registry.ts";
import { proxySettings } from "../proxy/proxy-rules.schema.ts";
import { SCHEME_SCHEMAS } from "../schemes/schema-registry.ts";

/**
 * The configuration reference (docs/config-reference.md), generated from the schemas that validate
 * a connections file at load and synth, so the reference and the validation cannot drift. Run
 * `npm run docs:config` after changing a schema; a test fails while the file is stale.
 */
type Json = Record<string, unknown>;

function jsonSchemaOf(schema: z.ZodMiniType): Json {
  return z.toJSONSchema(schema, { unrepresentable: "any", io: "input" });
}

/** A short, readable type: string, integer 1-900, "a" | "b", array of string, object, … */
function typeOf(s: Json): string {
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(" \\| ");
  const alternatives = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  if (alternatives) return [...new Set(alternatives.map(typeOf))].join(" \\| ");
  const type = s.type as string | undefined;
  if (type === "array") return `array of ${typeOf((s.items as Json | undefined) ?? {})}`;
  if (type === "integer" || type === "number") {
    const bound = (v: unknown) =>
      typeof v === "number" && Math.abs(v) < Number.MAX_SAFE_INTEGER ? v : undefined;
    const min = bound(s.minimum);
    const above = bound(s.exclusiveMinimum);
    const max = bound(s.maximum);
    if (min !== undefined && max !== undefined) return `${type} ${min}-${max}`;
    if (above !== undefined) return `${type} > ${above}${max !== undefined ? `, <= ${max}` : ""}`;
    if (min !== undefined) return `${type} >= ${min}`;
    return max !== undefined ? `${type} <= ${max}` : type;
  }
  if (type === "string") {
    if (typeof s.format === "string") return `string (${s.format})`;
    return "string";
  }
  return type ?? "any";
}

function fieldsTable(schema: Json): string {
  const properties = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const rows = Object.entries(properties).map(([name, field]) => {
    const fallback = field.default === undefined ? "" : `\`${JSON.stringify(field.default)}\``;
    return `| \`${name}\` | ${typeOf(field)} | ${required.has(name) ? "yes" : ""} | ${fallback} |`;
  });
  return ["| field | type | required | default |", "|---|---|---|---|", ...rows].join("\n");
}

export function configReference(): string {
  const parts = [
    "# Configuration reference",
    "",
    "Generated from the schemas that validate a connections file (`npm run docs:config`); the",
    "explanations are in [configuration.md](configuration.md). Every connection also takes `delivery`",
    '(`"headers"`, `"proxy"` or `"both"`), `proxy` (below) and, for exchanged schemes, `forcedRefresh`',
    '(`true` or `{ "minIntervalSeconds": n }`).',
    "",
    "## Schemes",
  ];
  for (const { name, schema } of SCHEME_SCHEMAS) {
    parts.push("", `### \`${name}\``, "", fieldsTable(jsonSchemaOf(schema)));
  }
  parts.push("", "## Vendor presets");
  for (const preset of PRESETS) {
    parts.push(
      "",
      `### \`${preset.name}\``,
      "",
      `Follows: ${preset.reference}.`,
      "",
      fieldsTable(jsonSchemaOf(preset.schema)),
    );
  }
  parts.push("", "## `proxy`", "", fieldsTable(jsonSchemaOf(proxySettings)), "");
  return parts.join("\n");
}

import type * as z from "zod/mini";

/**
 * A vendor preset: a small options schema (a zod object with a literal `preset` field) that expands
 * to a generic scheme config. Presets only fill in what the vendor documents; everything else is
 * the generic scheme's own validation. Register new presets in ./registry.ts.
 */
export interface PresetDefinition<S extends z.ZodMiniType = z.ZodMiniType> {
  readonly name: string;
  /** The vendor documentation page it follows, by title. */
  readonly reference: string;
  readonly schema: S;
  expand(options: z.output<S>): Record<string, unknown>;
}

/** Drops `preset` and keeps the fields every connection shares. */
export function commonFields(options: Record<string, unknown>): Record<string, unknown> {
  const { preset: _preset, ...rest } = options;
  return rest;
}

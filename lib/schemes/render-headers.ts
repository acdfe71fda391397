import { MissingTemplateValueError, type RenderVars, renderJson, renderString } from "../config/template.ts";
import { SecretInvalidError } from "../errors.ts";
import { registerSensitive } from "../observability/redact.ts";
import type { Secret } from "../secrets/secret-source.ts";

/** Header values must be visible ASCII and spaces: CR/LF would split or smuggle headers. */
const SAFE_HEADER_VALUE = /^[\x20-\x7e]+$/;

export function isSafeHeaderValue(value: string): boolean {
  return SAFE_HEADER_VALUE.test(value) && value.trim() === value;
}

/**
 * Renders templates whose only caller-independent inputs are secret fields and values the broker
 * produced and validated itself, so any failure points at the secret. Errors name fields, not values.
 */
function withSecretErrors<T>(secret: Secret, render: () => T): T {
  try {
    return render();
  } catch (error) {
    if (error instanceof MissingTemplateValueError && error.placeholder.startsWith("secret.")) {
      throw new SecretInvalidError(`Secret "${secret.id}" has no field "${error.placeholder.slice(7)}".`);
    }
    throw error;
  }
}

export function renderHeaders(
  templates: Readonly<Record<string, string>>,
  secret: Secret,
  vars: Omit<RenderVars, "secret"> = {},
): Record<string, string> {
  return withSecretErrors(secret, () => {
    const headers: Record<string, string> = {};
    for (const [name, template] of Object.entries(templates)) {
      const value = renderString(template, { ...vars, secret: secret.fields });
      if (!isSafeHeaderValue(value)) {
        throw new SecretInvalidError(
          `Header "${name}" would contain control or non-ASCII characters; check secret "${secret.id}".`,
        );
      }
      registerSensitive(value);
      headers[name] = value;
    }
    return headers;
  });
}

export function renderSecretJson(
  template: unknown,
  secret: Secret,
  vars: Omit<RenderVars, "secret"> = {},
): unknown {
  return withSecretErrors(secret, () => renderJson(template, { ...vars, secret: secret.fields }));
}

export function renderSecretString(
  template: string,
  secret: Secret,
  vars: Omit<RenderVars, "secret"> = {},
): string {
  return withSecretErrors(secret, () => renderString(template, { ...vars, secret: secret.fields }));
}

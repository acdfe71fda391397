import { SecretNotFoundError } from "../../lib/errors.ts";
import type { Secret, SecretSource } from "../../lib/secrets/secret-source.ts";

/** An in-memory secret source whose secrets tests can rotate; counts reads per id. */
export class MemorySecrets implements SecretSource {
  readonly reads = new Map<string, number>();
  readonly forcedReads = new Map<string, number>();
  #secrets = new Map<string, Secret>();

  constructor(secrets: Record<string, Record<string, string>> = {}) {
    for (const [id, fields] of Object.entries(secrets)) this.set(id, fields, "v1");
  }

  set(id: string, fields: Record<string, string>, versionId: string): void {
    this.#secrets.set(id, { id, versionId, fields: Object.freeze({ ...fields }) });
  }

  async get(id: string, options: { forceRefresh?: boolean } = {}): Promise<Secret> {
    this.reads.set(id, (this.reads.get(id) ?? 0) + 1);
    if (options.forceRefresh) this.forcedReads.set(id, (this.forcedReads.get(id) ?? 0) + 1);
    const secret = this.#secrets.get(id);
    if (!secret) throw new SecretNotFoundError(id);
    return secret;
  }
}

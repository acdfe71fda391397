/** A connection's credentials as stored: a flat JSON object of named string fields. */
export interface Secret {
  readonly id: string;
  /** Changes whenever the secret's content changes (Secrets Manager VersionId, or a content hash). */
  readonly versionId: string;
  readonly fields: Readonly<Record<string, string>>;
}

export interface GetSecretOptions {
  /** Bypass the cache (after an upstream 401: the secret may have been rotated). */
  forceRefresh?: boolean;
}

export interface SecretSource {
  get(id: string, options?: GetSecretOptions): Promise<Secret>;
}

/** What a backend returns before parsing: the raw secret string and its version. */
export interface RawSecret {
  versionId: string;
  secretString: string;
}

/** Backend fetch: resolves the raw secret or throws SecretNotFoundError / a BrokerError. */
export type RawSecretFetcher = (id: string) => Promise<RawSecret>;

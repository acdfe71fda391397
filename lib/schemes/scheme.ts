import type { UpstreamPolicy } from "../config/upstream-url.ts";
import type * as z from "zod/mini";
import type { Secret } from "../secrets/secret-source.ts";
import type { HttpClient } from "../upstream/http-client.ts";

/** What a caller receives: headers to send upstream, valid until expiresAt (epoch ms). */
export interface Credential {
  headers: Record<string, string>;
  expiresAt: number;
}

/** An upstream token with what is needed to refresh it. Times are epoch milliseconds. */
export interface TokenSet {
  accessToken: string;
  expiresAt: number;
  refreshToken?: string;
  /** Absent with a refresh token: lifetime unknown, used until the upstream rejects it. */
  refreshExpiresAt?: number;
  obtainedAt: number;
  /** Version of the secret the token was obtained with; a rotated secret invalidates the token. */
  secretVersion: string;
}

export interface SchemeContext {
  secret: Secret;
  http: HttpClient;
  now: () => number;
  /** What a URL found at run time (a discovered token endpoint) may be. */
  upstreamPolicy: UpstreamPolicy;
  /**
   * The scheme says that the refresh token it was given may have been consumed (a refresh whose
   * outcome is unknown): whatever happens next, the caches never present it again (RFC 9700).
   */
  refreshTokenSpent: () => void;
}

/** Minted locally on every request from the secret (static headers, signed JWTs). Never cached. */
export interface MintingScheme {
  readonly kind: "minted";
  mint(context: SchemeContext): Promise<Credential>;
}

/** Obtained from an upstream and cached until shortly before expiry. */
export interface ExchangingScheme {
  readonly kind: "exchanged";
  /**
   * Gets a new token: refreshes `current` when it carries a live refresh token and the scheme
   * supports it, otherwise (or when the refresh is rejected) performs a full exchange.
   */
  obtain(context: SchemeContext, current?: TokenSet): Promise<TokenSet>;
  /** Renders a token's headers; a deferred scheme (./deferred-scheme.ts) only after `ready()`. */
  headers(tokens: TokenSet, secret: Secret): Record<string, string>;
  /** Loads the scheme's code, when it is not read at init. */
  ready?(): Promise<void>;
}

export type CredentialScheme = MintingScheme | ExchangingScheme;

/**
 * One credential scheme at run time: its name and a factory. No zod here: the deployed functions
 * load a config that synth already validated. Register in ./registry.ts.
 */
export interface SchemeDefinition<C> {
  readonly name: string;
  create(config: C): CredentialScheme;
}

/**
 * A scheme's config schema (a zod object with a literal `scheme` field), used at load and synth
 * only. Register in ./schema-registry.ts.
 */
export interface SchemeSchema<S extends z.ZodMiniType = z.ZodMiniType> {
  readonly name: string;
  readonly schema: S;
}

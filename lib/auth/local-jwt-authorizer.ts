import { readFileSync } from "node:fs";
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import { InsufficientScopeError, UnauthorizedError } from "../errors.ts";

export interface LocalJwtAuthorizerOptions {
  issuer: string;
  audience: string[];
  /** Any one of these must be granted (as API Gateway checks route authorization scopes). */
  requiredScopes: string[];
  /** A JWKS URL (https, or http on loopback) or a path to a JWKS JSON file; or a key set. */
  jwks: string | JWTVerifyGetKey;
  /**
   * Default RS256/RS384/RS512: API Gateway's JWT authorizer verifies RSA signatures only, so a
   * token that works locally works after deploy. Never symmetric (algorithm confusion).
   */
  algorithms?: string[];
  /** Leeway for exp, nbf and iat. Default 0: API Gateway documents none. */
  clockToleranceSeconds?: number;
  now?: () => number;
}

/** What API Gateway's HTTP API JWT authorizer accepts ("currently only RSA-based algorithms"). */
export const GATEWAY_ALGORITHMS = ["RS256", "RS384", "RS512"];

const rejected = (reason: string) =>
  new UnauthorizedError(`The caller's access token was rejected: ${reason}.`);

const REASONS: [new (...args: never[]) => Error, string][] = [
  [errors.JWTExpired, "the token has expired"],
  [errors.JWTClaimValidationFailed, "a claim is not acceptable"],
  [errors.JOSEAlgNotAllowed, "the token's algorithm is not allowed"],
  [errors.JWSSignatureVerificationFailed, "the signature does not verify"],
  [errors.JWKSNoMatchingKey, "no key of the issuer matches the token"],
  [errors.JWSInvalid, "the token is malformed"],
  [errors.JWTInvalid, "the token is malformed"],
];

/**
 * What API Gateway's HTTP API JWT authorizer does, for local runs, rule for rule (docs/security.md: caller
 * authentication parity): the token alone or after "Bearer "; a `kid` header matching a JWKS key;
 * an RSA signature; `iss` equal to the issuer; `aud` in the audience list, or `client_id` when there
 * is no `aud` (Cognito access tokens); `exp` after now; `nbf` and `iat`, when present, before now;
 * one of the required scopes in `scope` or `scp`.
 */
export class LocalJwtAuthorizer {
  readonly #options: LocalJwtAuthorizerOptions;
  readonly #keys: JWTVerifyGetKey;

  constructor(options: LocalJwtAuthorizerOptions) {
    this.#options = options;
    const { jwks } = options;
    if (typeof jwks !== "string") this.#keys = jwks;
    else if (/^https?:\/\//.test(jwks)) this.#keys = createRemoteJWKSet(new URL(jwks));
    else this.#keys = createLocalJWKSet(JSON.parse(readFileSync(jwks, "utf8")) as JSONWebKeySet);
  }

  /** Returns the verified claims, or throws a 401/403 BrokerError. */
  async verify(authorization: string | undefined): Promise<Record<string, unknown>> {
    const match = /^(?:Bearer )?([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/.exec(authorization ?? "");
    if (!match) {
      // Something after "Bearer " (or a bare token) was presented and is not a JWT: refused. No
      // header, or another scheme: no bearer token at all (RFC 6750 3.1: no error code).
      const presented = /^Bearer\s+\S/i.test(authorization ?? "") || /^[^\s]+$/.test(authorization ?? "");
      throw new UnauthorizedError("Send the caller's access token as Authorization: Bearer <token>.", {
        tokenRefused: presented,
      });
    }
    const tolerance = this.#options.clockToleranceSeconds ?? 0;
    const nowSeconds = Math.floor((this.#options.now ?? Date.now)() / 1000);
    let claims: Record<string, unknown>;
    try {
      const verified = await jwtVerify(match[1] as string, this.#keys, {
        issuer: this.#options.issuer,
        algorithms: this.#options.algorithms ?? GATEWAY_ALGORITHMS,
        clockTolerance: tolerance,
        currentDate: new Date(nowSeconds * 1000),
        requiredClaims: ["exp"],
      });
      claims = verified.payload;
      if (!verified.protectedHeader.kid) throw rejected('the token has no "kid" header');
    } catch (error) {
      if (error instanceof UnauthorizedError) throw error;
      const claim =
        error instanceof errors.JWTClaimValidationFailed && !(error instanceof errors.JWTExpired)
          ? error.claim
          : undefined;
      throw rejected(
        claim
          ? `its "${claim}" claim is not acceptable`
          : (REASONS.find(([type]) => error instanceof type)?.[1] ?? "it cannot be verified"),
      );
    }
    if (typeof claims.iat === "number" && claims.iat > nowSeconds + tolerance) {
      throw rejected('its "iat" claim is in the future');
    }
    // aud when present (any of its values); client_id only when there is no aud.
    const audiences = this.#options.audience;
    const aud = claims.aud === undefined ? undefined : [claims.aud].flat();
    const audienceOk = aud
      ? aud.some((a) => typeof a === "string" && audiences.includes(a))
      : typeof claims.client_id === "string" && audiences.includes(claims.client_id);
    if (!audienceOk)
      throw rejected(aud ? 'its "aud" claim is not acceptable' : 'its "client_id" claim is not acceptable');
    const granted = new Set(
      [claims.scope, claims.scp].flatMap((s) =>
        Array.isArray(s)
          ? s.filter((v): v is string => typeof v === "string")
          : typeof s === "string"
            ? s.split(" ")
            : [],
      ),
    );
    const { requiredScopes } = this.#options;
    if (requiredScopes.length > 0 && !requiredScopes.some((s) => granted.has(s))) {
      throw new InsufficientScopeError(
        `The caller's access token needs one of these scopes: ${this.#options.requiredScopes.join(", ")}.`,
      );
    }
    return claims;
  }
}

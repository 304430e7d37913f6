/**
 * Validation of Microsoft Entra ID access tokens presented to the app's HTTP endpoints.
 *
 * Why jose: it is a maintained, dependency-free implementation of the whole JOSE family (JWS, JWT,
 * JWK, JWKS) on the Web Crypto API, so nothing native to build for Functions, and it already does the
 * parts that are easy to get subtly wrong: algorithm allow-listing, key selection by `kid`, a remote
 * JWKS with a cache that refetches (after a cooldown) when Entra rotates to a key it has not seen,
 * and the registered-claim checks with clock tolerance. Entra's own libraries for Node (msal-node)
 * acquire tokens but do not validate them.
 */
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify } from "jose";
import type { JWTVerifyGetKey } from "jose";
import { z } from "zod";
import { OpsError } from "../errors.ts";
import { type Clock, systemClock } from "../ports/clock.ts";
import { issuesLine } from "../validation.ts";
import { AuthError } from "./auth-error.ts";
import type { Caller } from "./caller.ts";

export { AuthError, isAuthError } from "./auth-error.ts";
export type { AuthErrorCode } from "./auth-error.ts";
export type { Caller } from "./caller.ts";
export { opsRoles, requireRole } from "./roles.ts";
export type { OpsRole } from "./roles.ts";
export {
  actionGroupsAppId,
  actionGroupsSecureWebhookRole,
  validateActionGroupCaller,
} from "./action-groups.ts";
export type { ActionGroupCallerOptions } from "./action-groups.ts";

export interface EntraAuthOptions {
  /** The directory (tenant) id, a GUID: tokens must carry it as `tid` and in their issuer. */
  tenantId: string;
  /** `https://login.microsoftonline.com` in the public cloud; the local estate's URL locally. */
  authorityHost: string;
  /** Accepted `aud` values: the API's Application ID URI (v1 tokens) and its client id (v2 tokens). */
  audiences: string[];
  /**
   * Accepted `iss` values. By default the tenant's v2 issuer, `${authorityHost}/${tenantId}/v2.0`, and
   * its v1 issuer, `https://sts.windows.net/${tenantId}/`: Entra issues v1 tokens for any API whose
   * registration leaves accessTokenAcceptedVersion unset. Sovereign clouds have other v1 hosts: list
   * them here.
   */
  issuers?: string[];
  /** Leeway on exp and nbf for clock skew; 60 s by default. */
  clockToleranceInSeconds?: number;
  /** Timeout of each metadata and key-set fetch; 5000 ms by default. */
  fetchTimeoutInMs?: number;
  /** Where "now" comes from for exp/nbf; tests pass a fixed clock. */
  clock?: Clock;
}

const optionsSchema = z.object({
  tenantId: z.guid("tenantId must be the directory's GUID (tokens carry the GUID, not a domain)"),
  authorityHost: z
    .url()
    .refine((value) => new URL(value).protocol === "https:", "authorityHost must be an https URL"),
  audiences: z.array(z.string().min(1)).min(1, "audiences must name at least one audience"),
  issuers: z.array(z.string().min(1)).min(1).optional(),
  clockToleranceInSeconds: z.number().int().min(0).max(300).optional(),
  fetchTimeoutInMs: z.number().int().min(1).max(60_000).optional(),
});

/** The claims the app reads, checked after the signature and registered claims have been verified. */
const claimsSchema = z.object({
  oid: z.string().min(1),
  tid: z.string().min(1),
  appid: z.string().min(1).optional(),
  azp: z.string().min(1).optional(),
  idtyp: z.string().optional(),
  scp: z.string().optional(),
  upn: z.string().optional(),
  preferred_username: z.string().optional(),
  unique_name: z.string().optional(),
  name: z.string().optional(),
  app_displayname: z.string().optional(),
  roles: z.array(z.string()).optional(),
});

type Claims = z.infer<typeof claimsSchema>;

const discoverySchema = z.object({ jwks_uri: z.url() });

/** Entra tokens with many claims run to a few KB; anything far larger is not one. */
const maxTokenLength = 32 * 1024;

const bearerPattern = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** The signing keys could not be fetched: the caller is not at fault, so this is never a 401. */
class KeySourceUnavailable extends Error {
  constructor(cause: unknown) {
    super("the tenant's signing keys could not be fetched", { cause });
    this.name = "KeySourceUnavailable";
  }
}

export class EntraTokenValidator {
  private readonly tenantId: string;
  private readonly authorityHost: string;
  private readonly audiences: string[];
  private readonly issuers: string[];
  private readonly clockTolerance: number;
  private readonly fetchTimeoutInMs: number;
  private readonly clock: Clock;
  /** One discovery and one key set per validator, shared by concurrent requests; reset on failure. */
  private keySet: Promise<JWTVerifyGetKey> | undefined;

  constructor(options: EntraAuthOptions) {
    const parsed = optionsSchema.safeParse(options);
    if (!parsed.success) {
      throw new OpsError(
        "SettingsInvalid",
        `Entra auth options are invalid: ${issuesLine(parsed.error.issues, "options")}`,
      );
    }
    this.tenantId = parsed.data.tenantId.toLowerCase();
    this.authorityHost = parsed.data.authorityHost.replace(/\/+$/, "");
    this.audiences = [...parsed.data.audiences];
    this.issuers = parsed.data.issuers ?? [
      `${this.authorityHost}/${this.tenantId}/v2.0`,
      `https://sts.windows.net/${this.tenantId}/`,
    ];
    this.clockTolerance = parsed.data.clockToleranceInSeconds ?? 60;
    this.fetchTimeoutInMs = parsed.data.fetchTimeoutInMs ?? 5000;
    this.clock = options.clock ?? systemClock;
  }

  /** Where the tenant's metadata lives; its `jwks_uri` names the signing keys. */
  get metadataUrl(): string {
    return `${this.authorityHost}/${this.tenantId}/v2.0/.well-known/openid-configuration`;
  }

  /**
   * Validates `Authorization: Bearer <jwt>` and returns who called. Throws an AuthError (401) for
   * anything wrong with the token, or an OpsError `AzureUnavailable` (retryable, so a 503) when the
   * tenant's signing keys cannot be fetched.
   */
  async validate(authorizationHeader: string | null | undefined): Promise<Caller> {
    const token = bearerToken(authorizationHeader);
    checkAlgorithm(token);
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, this.getKey, {
        algorithms: ["RS256"],
        issuer: this.issuers,
        audience: this.audiences,
        clockTolerance: this.clockTolerance,
        currentDate: this.clock.now(),
        requiredClaims: ["exp"],
      }));
    } catch (error) {
      throw this.classify(error);
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw new AuthError("invalid_claims");
    if (claims.data.tid.toLowerCase() !== this.tenantId) throw new AuthError("wrong_tenant");
    return toCaller(claims.data);
  }

  private readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const keys = await this.loadKeySet();
    try {
      return await keys(header, token);
    } catch (error) {
      // An unknown kid (after jose has refetched the set) is the token's fault; anything else
      // (timeout, non-200, a JWKS that is not one) is the key source's.
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
        throw error;
      }
      throw new KeySourceUnavailable(error);
    }
  };

  private loadKeySet(): Promise<JWTVerifyGetKey> {
    this.keySet ??= this.discover().catch((error: unknown) => {
      this.keySet = undefined;
      throw new KeySourceUnavailable(error);
    });
    return this.keySet;
  }

  private async discover(): Promise<JWTVerifyGetKey> {
    const response = await fetch(this.metadataUrl, {
      headers: { accept: "application/json" },
      redirect: "error",
      signal: AbortSignal.timeout(this.fetchTimeoutInMs),
    });
    if (response.status !== 200) {
      throw new Error(`the OpenID metadata answered ${response.status}`);
    }
    const metadata = discoverySchema.parse(await response.json());
    const jwksUri = new URL(metadata.jwks_uri);
    if (jwksUri.protocol !== "https:")
      throw new Error("the OpenID metadata names a jwks_uri that is not https");
    // jose caches the set (10 min) and refetches early, at most every 30 s, for a kid it has not seen.
    return createRemoteJWKSet(jwksUri, { timeoutDuration: this.fetchTimeoutInMs });
  }

  private classify(error: unknown): Error {
    if (error instanceof KeySourceUnavailable) {
      return new OpsError("AzureUnavailable", "could not fetch the tenant's token signing keys", {
        cause: error.cause,
        retryable: true,
        details: { authorityHost: this.authorityHost },
      });
    }
    if (error instanceof errors.JWTExpired) return new AuthError("expired_token");
    if (error instanceof errors.JWTClaimValidationFailed) {
      // jose's claim errors carry the whole payload: they are mapped to a code and left behind.
      if (error.reason === "missing") return new AuthError("invalid_claims");
      if (error.claim === "iss") return new AuthError("wrong_issuer");
      if (error.claim === "aud") return new AuthError("wrong_audience");
      if (error.claim === "nbf" && error.reason === "check_failed")
        return new AuthError("token_not_yet_valid");
      return new AuthError("invalid_claims");
    }
    if (
      error instanceof errors.JWSSignatureVerificationFailed ||
      error instanceof errors.JWKSNoMatchingKey ||
      error instanceof errors.JWKSMultipleMatchingKeys
    ) {
      return new AuthError("bad_signature");
    }
    if (error instanceof errors.JOSEAlgNotAllowed) return new AuthError("disallowed_alg");
    if (
      error instanceof errors.JWSInvalid ||
      error instanceof errors.JWTInvalid ||
      error instanceof errors.JOSENotSupported
    ) {
      return new AuthError("malformed_token");
    }
    return error instanceof Error ? error : new Error(String(error));
  }
}

function bearerToken(header: string | null | undefined): string {
  if (header === null || header === undefined || header.trim() === "") throw new AuthError("missing_token");
  if (header.length > maxTokenLength) throw new AuthError("malformed_token");
  const token = bearerPattern.exec(header.trim())?.[1];
  if (!token) throw new AuthError("malformed_token");
  const parts = token.split(".");
  if (parts.length !== 3 || !parts[0] || !parts[1]) throw new AuthError("malformed_token");
  return token;
}

/**
 * Decided from the header before any key is looked up, so an unsigned token or one signed with HS256
 * (the public key used as an HMAC secret) gets its own code; jwtVerify's allow-list would refuse
 * them anyway.
 */
function checkAlgorithm(token: string): void {
  let alg: unknown;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch {
    throw new AuthError("malformed_token");
  }
  if (alg === undefined || (typeof alg === "string" && alg.toLowerCase() === "none")) {
    throw new AuthError("unsigned_token");
  }
  if (alg !== "RS256") throw new AuthError("disallowed_alg");
}

function toCaller(claims: Claims): Caller {
  const kind: Caller["kind"] =
    claims.idtyp === "app"
      ? "app"
      : claims.idtyp === "user" || claims.scp !== undefined || claims.upn !== undefined
        ? "user"
        : "app";
  return {
    objectId: claims.oid,
    appId: claims.appid ?? claims.azp ?? null,
    name:
      claims.upn ??
      claims.preferred_username ??
      claims.unique_name ??
      claims.name ??
      claims.app_displayname ??
      null,
    roles: claims.roles ?? [],
    tenantId: claims.tid,
    kind,
  };
}

import { calculateJwkThumbprint, exportJWK, generateKeyPair, jwtVerify, SignJWT } from "jose";
import type { CryptoKey, JWK } from "jose";
import { stableUuid } from "../signals/random.ts";

/**
 * The estate's token issuer: a fresh RS256 key per process, tokens shaped like Microsoft Entra v2
 * access tokens for a managed identity or a confidential client, and the OIDC metadata (discovery
 * document, JWKS) a resource server needs to validate them.
 */

/** The audiences the estate's own APIs serve, compared without a trailing slash. */
const publicAudiences = [
  "https://management.azure.com",
  // Resource Manager's classic audience: what az asks for (the cloud's active_directory_resource_id).
  "https://management.core.windows.net",
  "https://metrics.monitor.azure.com",
  "https://api.loganalytics.io",
  "https://communication.azure.com",
  "https://graph.microsoft.com",
  "https://vault.azure.net",
];

function normaliseAudience(audience: string): string {
  return audience.replace(/\/+$/, "").toLowerCase();
}

/** The system-assigned identity of the ops app in the demo estate. */
export const systemAssignedIdentity = {
  clientId: "0f2d4c6e-8a1b-4c3d-9e5f-7a9b1c3d5e7f",
  objectId: "5a7c9e1b-3d5f-4a7b-9c1d-3e5f7a9b1c3d",
};

export interface Principal {
  objectId: string;
  clientId: string;
  audience: string;
}

export interface IssueRequest {
  /** The `resource` asked for, which becomes `aud`; a trailing `/.default` is dropped. */
  resource: string;
  /** A user-assigned identity's or a client's id; the system-assigned identity when omitted. */
  clientId?: string;
  objectId?: string;
  /** App roles on the resource; no `roles` claim when empty, as Entra does. */
  roles?: readonly string[];
  /** How the client authenticated (`appidacr`/`azpacr`): "1" a secret, "2" a certificate or managed identity. */
  clientAuth?: "1" | "2";
}

export interface IssuedToken {
  accessToken: string;
  expiresOn: number;
  resource: string;
  clientId: string;
}

export type VerifyResult = { ok: true; principal: Principal } | { ok: false; reason: string };

export class TokenAuthority {
  private readonly verified = new Map<string, { principal: Principal; expiresAt: number }>();

  private constructor(
    readonly estateUrl: string,
    readonly tenantId: string,
    private readonly privateKey: CryptoKey,
    private readonly publicKey: CryptoKey,
    private readonly publicJwk: JWK,
    private readonly audiences: Set<string>,
  ) {}

  static async create(estateUrl: string, tenantId: string): Promise<TokenAuthority> {
    const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk);
    const audiences = new Set([estateUrl, ...publicAudiences].map(normaliseAudience));
    return new TokenAuthority(
      estateUrl,
      tenantId,
      privateKey,
      publicKey,
      { ...jwk, kid, use: "sig", alg: "RS256" },
      audiences,
    );
  }

  get issuer(): string {
    return `${this.estateUrl}/${this.tenantId}/v2.0`;
  }

  /** Whether the estate's own APIs accept tokens for this audience (not app registrations). */
  isKnownAudience(audience: string): boolean {
    return this.audiences.has(normaliseAudience(audience));
  }

  async issue(request: IssueRequest): Promise<IssuedToken> {
    const resource = request.resource.replace(/\/\.default$/, "");
    const clientId = request.clientId ?? systemAssignedIdentity.clientId;
    const objectId =
      request.objectId ??
      (request.clientId ? stableUuid(`oid|${request.clientId}`) : systemAssignedIdentity.objectId);
    const now = Math.floor(Date.now() / 1000);
    const expiresOn = now + 3600;
    const clientAuth = request.clientAuth ?? "2";
    const accessToken = await new SignJWT({
      aio: "local-estate",
      appid: clientId,
      azp: clientId,
      appidacr: clientAuth,
      azpacr: clientAuth,
      idp: this.issuer,
      idtyp: "app",
      oid: objectId,
      rh: "local",
      ...(request.roles && request.roles.length > 0 ? { roles: [...request.roles] } : {}),
      tid: this.tenantId,
      uti: stableUuid(`${objectId}|${now}|${resource}`).replace(/-/g, "").slice(0, 22),
      ver: "2.0",
    })
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: this.publicJwk.kid })
      .setIssuer(this.issuer)
      .setAudience(resource)
      .setSubject(objectId)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(expiresOn)
      .sign(this.privateKey);
    return { accessToken, expiresOn, resource, clientId };
  }

  /**
   * Signs exactly the claims given, with the estate's key and kid: for tests that need tokens the
   * issuing endpoints never make (expired, foreign audience, missing claims).
   */
  async sign(claims: Record<string, unknown>): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: this.publicJwk.kid })
      .sign(this.privateKey);
  }

  async verify(token: string): Promise<VerifyResult> {
    // A client sends the same token for an hour: verifying its signature once keeps a benchmark's
    // thousands of calls from measuring RSA instead of the app.
    const cached = this.verified.get(token);
    if (cached && cached.expiresAt > Date.now()) return { ok: true, principal: cached.principal };
    try {
      const { payload } = await jwtVerify(token, this.publicKey, {
        algorithms: ["RS256"],
        issuer: this.issuer,
      });
      const audiences = typeof payload.aud === "string" ? [payload.aud] : (payload.aud ?? []);
      const audience = audiences.find((a) => this.isKnownAudience(a));
      if (!audience) return { ok: false, reason: `the audience '${audiences.join(",")}' is not served here` };
      const objectId = typeof payload["oid"] === "string" ? payload["oid"] : (payload.sub ?? "unknown");
      const clientId = typeof payload["appid"] === "string" ? payload["appid"] : "unknown";
      const principal = { objectId, clientId, audience };
      if (this.verified.size >= 1000) this.verified.clear();
      this.verified.set(token, { principal, expiresAt: (payload.exp ?? 0) * 1000 });
      return { ok: true, principal };
    } catch (error) {
      return { ok: false, reason: error instanceof Error ? error.message : "the token is invalid" };
    }
  }

  /** The JWKS document at /{tenant}/discovery/v2.0/keys. */
  jwks(): { keys: JWK[] } {
    return { keys: [{ ...this.publicJwk, issuer: this.issuer } as JWK] };
  }

  /** The OIDC discovery document at /{tenant}/v2.0/.well-known/openid-configuration. */
  openIdConfiguration(): Record<string, unknown> {
    const base = `${this.estateUrl}/${this.tenantId}`;
    return {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ["query", "fragment", "form_post"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
      scopes_supported: ["openid", "profile", "email", "offline_access"],
      issuer: this.issuer,
      request_uri_parameter_supported: false,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      claims_supported: ["sub", "iss", "aud", "exp", "iat", "nbf", "oid", "tid", "azp", "appid", "ver"],
      tenant_region_scope: "EU",
      cloud_instance_name: "local.estate",
    };
  }
}

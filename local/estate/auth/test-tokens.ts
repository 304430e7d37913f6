import { createPublicKey } from "node:crypto";
import type { JsonWebKey } from "node:crypto";
import { base64url, generateKeyPair, SignJWT } from "jose";
import { localClients, phoenixOpsApi, servicePrincipalObjectId } from "./app-registrations.ts";

/**
 * Tokens for tests that the estate's issuing endpoints never make: expired ones, foreign audiences,
 * missing claims, and the classic forgeries (a foreign key, `alg: none`, HS256 keyed with the public
 * key). Runs against any estate, in-process or not, through its URL.
 */

export type SignWith = "estate" | "foreign-key" | "none" | "hs256";

export interface MintOptions {
  /**
   * - `estate` (default): the estate's key and kid, through its control API; valid unless the claims say otherwise.
   * - `foreign-key`: a fresh RSA key the tenant never published, under the estate's kid.
   * - `none`: unsigned (`alg: none`, empty signature).
   * - `hs256`: HMAC-SHA256 with the estate's public key (PEM) as the secret, the key-confusion attack.
   */
  signWith?: SignWith;
  /** The time iat/nbf/exp are counted from; now by default. */
  now?: Date;
}

export interface EstateLike {
  url: string;
  tenantId: string;
}

/**
 * The claims of a valid app-only token for the Phoenix Ops API, as the estate issues to the ops-reader
 * client, with `overrides` applied; an override of `undefined` removes the claim.
 */
export function testTokenClaims(
  estate: EstateLike,
  overrides: Record<string, unknown> = {},
  now: Date = new Date(),
): Record<string, unknown> {
  const iat = Math.floor(now.getTime() / 1000);
  const client = localClients.reader;
  const objectId = servicePrincipalObjectId(client.clientId);
  const claims: Record<string, unknown> = {
    aud: phoenixOpsApi.appIdUri,
    iss: `${estate.url}/${estate.tenantId}/v2.0`,
    iat,
    nbf: iat,
    exp: iat + 3600,
    appid: client.clientId,
    azp: client.clientId,
    appidacr: "1",
    azpacr: "1",
    idtyp: "app",
    oid: objectId,
    sub: objectId,
    roles: [phoenixOpsApi.roles.reader],
    tid: estate.tenantId,
    ver: "2.0",
    ...overrides,
  };
  for (const [key, value] of Object.entries(claims)) {
    if (value === undefined) delete claims[key];
  }
  return claims;
}

export async function mintTestToken(
  estate: EstateLike,
  claimsOverride: Record<string, unknown> = {},
  options: MintOptions = {},
): Promise<string> {
  const claims = testTokenClaims(estate, claimsOverride, options.now);
  switch (options.signWith ?? "estate") {
    case "estate": {
      const response = await fetch(`${estate.url}/_estate/tokens/sign`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ claims }),
      });
      if (response.status !== 200) throw new Error(`the estate refused to sign: ${response.status}`);
      return ((await response.json()) as { access_token: string }).access_token;
    }
    case "foreign-key": {
      const { privateKey } = await generateKeyPair("RS256");
      const { kid } = await estateKey(estate);
      return new SignJWT(claims).setProtectedHeader({ alg: "RS256", typ: "JWT", kid }).sign(privateKey);
    }
    case "none": {
      const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
      return `${encode({ alg: "none", typ: "JWT" })}.${encode(claims)}.`;
    }
    case "hs256": {
      const { kid, jwk } = await estateKey(estate);
      const pem = createPublicKey({ key: jwk, format: "jwk" }).export({ type: "spki", format: "pem" });
      return new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256", typ: "JWT", kid })
        .sign(new TextEncoder().encode(pem.toString()));
    }
  }
}

/** The estate's published signing key, from its JWKS. */
async function estateKey(estate: EstateLike): Promise<{ kid: string; jwk: JsonWebKey & { kid: string } }> {
  const response = await fetch(`${estate.url}/${estate.tenantId}/discovery/v2.0/keys`);
  const { keys } = (await response.json()) as { keys: (JsonWebKey & { kid: string })[] };
  const jwk = keys[0];
  if (!jwk) throw new Error("the estate publishes no signing key");
  return { kid: jwk.kid, jwk };
}

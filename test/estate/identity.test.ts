import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Estate } from "../../local/estate/index.ts";
import type { ManagedIdentityCredential } from "@azure/identity";
import { at, call, rawToken, startTestEstate } from "./helpers.ts";

describe("managed identity and tokens", () => {
  let estate: Estate;
  let credential: ManagedIdentityCredential;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ estate, credential, close } = await startTestEstate());
  });
  afterAll(() => close());

  it("gives ManagedIdentityCredential (App Service source) a token the OIDC metadata validates", async () => {
    const token = await credential.getToken("https://management.azure.com/.default");
    expect(token.token.split(".")).toHaveLength(3);
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now());

    const discovery = await call(estate, "GET", `/${estate.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    const jwksUri = at(discovery.body, "jwks_uri");
    const issuer = at(discovery.body, "issuer");
    expect(typeof jwksUri).toBe("string");
    const { payload } = await jwtVerify(token.token, createRemoteJWKSet(new URL(String(jwksUri))), {
      issuer: String(issuer),
      audience: "https://management.azure.com",
    });
    expect(payload.iss).toBe(`${estate.url}/${estate.tenantId}/v2.0`);
    expect(payload["tid"]).toBe(estate.tenantId);
    expect(typeof payload["oid"]).toBe("string");
    expect(payload.sub).toBe(payload["oid"]);
  });

  it("issues tokens for the estate's own audience", async () => {
    const token = await credential.getToken(`${estate.url}/.default`);
    const response = await call(estate, "GET", "/subscriptions?api-version=2022-12-01", {
      token: token.token,
    });
    expect(response.status).toBe(200);
  });

  it("reflects a user-assigned identity's client id", async () => {
    const response = await fetch(
      `${estate.identityEndpoint}?resource=https://vault.azure.net&api-version=2019-08-01&client_id=11111111-2222-4333-8444-555555555555`,
      { headers: { "X-IDENTITY-HEADER": estate.identityHeader } },
    );
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(200);
    expect(body["client_id"]).toBe("11111111-2222-4333-8444-555555555555");
    expect(body["token_type"]).toBe("Bearer");
    expect(body["resource"]).toBe("https://vault.azure.net");
    expect(String(body["expires_on"])).toMatch(/^\d+$/);
  });

  it("refuses the token endpoint without the identity header", async () => {
    const response = await fetch(
      `${estate.identityEndpoint}?resource=https://management.azure.com&api-version=2019-08-01`,
    );
    expect(response.status).toBe(401);
    const wrong = await fetch(
      `${estate.identityEndpoint}?resource=https://management.azure.com&api-version=2019-08-01`,
      {
        headers: { "X-IDENTITY-HEADER": "not-the-secret" },
      },
    );
    expect(wrong.status).toBe(401);
  });

  it("answers Azure routes without a token, or with a bad one, with 401 and a Bearer challenge", async () => {
    const path =
      "/subscriptions/6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f/resourceGroups/rg-phoenix-prod?api-version=2021-04-01";
    const missing = await call(estate, "GET", path);
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toMatch(
      /^Bearer authorization_uri=".+", error="invalid_token"/,
    );
    expect(at(missing.body, "error", "code")).toBe("InvalidAuthenticationToken");

    const good = await rawToken(estate);
    const [header, payload] = good.split(".");
    const forged = `${header}.${payload}.${"A".repeat(342)}`;
    const bad = await call(estate, "GET", path, { token: forged });
    expect(bad.status).toBe(401);
    expect(at(bad.body, "error", "code")).toBe("InvalidAuthenticationToken");

    const ok = await call(estate, "GET", path, { token: good });
    expect(ok.status).toBe(200);
  });
});

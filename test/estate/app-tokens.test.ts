import { ClientSecretCredential } from "@azure/identity";
import type { ManagedIdentityCredential } from "@azure/identity";
import { createRemoteJWKSet, decodeJwt, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  actionGroupsAppId,
  localClients,
  phoenixOpsApi,
  servicePrincipalObjectId,
} from "../../local/estate/auth/app-registrations.ts";
import type { LocalClient } from "../../local/estate/auth/app-registrations.ts";
import type { Estate } from "../../local/estate/index.ts";
import { at, call, startTestEstate } from "./helpers.ts";

/** The Entra token endpoint and the app's roles, as the real Azure SDK credentials see them. */
describe("tokens for the Phoenix Ops API", () => {
  let estate: Estate;
  let managedIdentity: ManagedIdentityCredential;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ estate, credential: managedIdentity, close } = await startTestEstate());
  });
  afterAll(() => close());

  const credentialFor = (client: LocalClient, secret = client.clientSecret) =>
    new ClientSecretCredential(estate.tenantId, client.clientId, secret, {
      authorityHost: estate.url,
      disableInstanceDiscovery: true,
    });

  const verify = async (token: string, audience: string) => {
    const jwks = createRemoteJWKSet(new URL(`${estate.url}/${estate.tenantId}/discovery/v2.0/keys`));
    const { payload } = await jwtVerify(token, jwks, {
      algorithms: ["RS256"],
      issuer: `${estate.url}/${estate.tenantId}/v2.0`,
      audience,
    });
    return payload;
  };

  it("gives ClientSecretCredential a signed app token carrying the client's roles", async () => {
    estate.resetStats();
    const token = await credentialFor(localClients.reader).getToken(`${phoenixOpsApi.appIdUri}/.default`);
    // msal-node reads the tenant's OpenID metadata first, then posts to the token_endpoint it names.
    expect(estate.stats().byRoute).toMatchObject({ "oidc-configuration": 1, "entra-token": 1 });
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 50 * 60_000);
    const claims = await verify(token.token, phoenixOpsApi.appIdUri);
    expect(claims).toMatchObject({
      aud: phoenixOpsApi.appIdUri,
      tid: estate.tenantId,
      appid: localClients.reader.clientId,
      azp: localClients.reader.clientId,
      appidacr: "1",
      idtyp: "app",
      oid: servicePrincipalObjectId(localClients.reader.clientId),
      roles: ["Ops.Reader"],
    });
    expect(claims.sub).toBe(claims["oid"]);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);
  });

  it("issues each seeded client its own roles", async () => {
    const scope = `${phoenixOpsApi.appIdUri}/.default`;
    const operator = decodeJwt((await credentialFor(localClients.operator).getToken(scope)).token);
    expect(operator["roles"]).toEqual(["Ops.Operator"]);
    const actionGroup = decodeJwt((await credentialFor(localClients.actionGroup).getToken(scope)).token);
    expect(actionGroup["appid"]).toBe(actionGroupsAppId);
    expect(actionGroup["roles"]).toEqual(["ActionGroupsSecureWebhook"]);
    // No assignment, no roles claim at all, as Entra does.
    const none = decodeJwt((await credentialFor(localClients.noRoles).getToken(scope)).token);
    expect(none).not.toHaveProperty("roles");
  });

  it("sets aud to the client id when the API is asked for by client id", async () => {
    const token = await credentialFor(localClients.operator).getToken(`${phoenixOpsApi.clientId}/.default`);
    const claims = await verify(token.token, phoenixOpsApi.clientId);
    expect(claims["roles"]).toEqual(["Ops.Operator"]);
  });

  it("refuses a wrong secret and an unknown resource the way Entra does", async () => {
    await expect(
      credentialFor(localClients.reader, "wrong").getToken("api://phoenix-ops/.default"),
    ).rejects.toThrow(/AADSTS7000215/);
    await expect(credentialFor(localClients.reader).getToken("api://unknown-api/.default")).rejects.toThrow(
      /AADSTS500011/,
    );
  });

  it("speaks the token endpoint's form protocol, with client_secret_post or client_secret_basic", async () => {
    const post = (body: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(`${estate.url}/${estate.tenantId}/oauth2/v2.0/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
        body: new URLSearchParams(body).toString(),
      });
    const { clientId, clientSecret } = localClients.operator;
    const ok = await post({
      grant_type: "client_credentials",
      client_id: clientId,
      client_secret: clientSecret,
      scope: "api://phoenix-ops/.default",
    });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: "Bearer" });
    expect(body["expires_in"]).toBeGreaterThan(3500);
    expect(typeof body["access_token"]).toBe("string");

    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString(
      "base64",
    );
    const viaBasic = await post(
      { grant_type: "client_credentials", scope: "api://phoenix-ops/.default" },
      { authorization: `Basic ${basic}` },
    );
    expect(viaBasic.status).toBe(200);

    const cases: [Record<string, string>, number, string, number][] = [
      [
        { client_id: clientId, client_secret: clientSecret, scope: "api://phoenix-ops/.default" },
        400,
        "invalid_request",
        900144,
      ],
      [
        { grant_type: "password", client_id: clientId, scope: "api://phoenix-ops/.default" },
        400,
        "unsupported_grant_type",
        70003,
      ],
      [
        {
          grant_type: "client_credentials",
          client_id: "00000000-0000-4000-8000-000000000000",
          client_secret: "x",
          scope: "api://phoenix-ops/.default",
        },
        400,
        "unauthorized_client",
        700016,
      ],
      [
        { grant_type: "client_credentials", client_id: clientId, scope: "api://phoenix-ops/.default" },
        401,
        "invalid_client",
        7000218,
      ],
      [
        {
          grant_type: "client_credentials",
          client_id: clientId,
          client_secret: "nope",
          scope: "api://phoenix-ops/.default",
        },
        401,
        "invalid_client",
        7000215,
      ],
      [
        {
          grant_type: "client_credentials",
          client_id: clientId,
          client_secret: clientSecret,
          scope: "api://phoenix-ops/Ops.Read",
        },
        400,
        "invalid_scope",
        1002012,
      ],
    ];
    for (const [form, status, error, code] of cases) {
      const response = await post(form);
      const reply = (await response.json()) as Record<string, unknown>;
      expect({ status: response.status, error: reply["error"], codes: reply["error_codes"] }).toEqual({
        status,
        error,
        codes: [code],
      });
      expect(String(reply["error_description"])).toMatch(new RegExp(`^AADSTS${code}: `));
    }

    const otherTenant = await fetch(`${estate.url}/00000000-0000-4000-8000-000000000000/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials",
    });
    expect(otherTenant.status).toBe(400);
  });

  it("gives the managed identity the Ops.Operator role on the API, and no roles elsewhere", async () => {
    const token = await managedIdentity.getToken(`${phoenixOpsApi.appIdUri}/.default`);
    const claims = await verify(token.token, phoenixOpsApi.appIdUri);
    expect(claims["roles"]).toEqual(["Ops.Operator"]);
    expect(claims["idtyp"]).toBe("app");

    const userAssigned = await fetch(
      `${estate.identityEndpoint}?resource=${encodeURIComponent(phoenixOpsApi.appIdUri)}&api-version=2019-08-01&client_id=11111111-2222-4333-8444-555555555555`,
      { headers: { "X-IDENTITY-HEADER": estate.identityHeader } },
    );
    const body = (await userAssigned.json()) as Record<string, unknown>;
    expect(body["resource"]).toBe(phoenixOpsApi.appIdUri);
    expect(decodeJwt(String(body["access_token"]))["roles"]).toEqual(["Ops.Operator"]);

    const arm = decodeJwt((await managedIdentity.getToken("https://management.azure.com/.default")).token);
    expect(arm).not.toHaveProperty("roles");
  });

  it("keeps app tokens out of the estate's Azure APIs", async () => {
    const token = await credentialFor(localClients.operator).getToken(`${phoenixOpsApi.appIdUri}/.default`);
    const response = await call(estate, "GET", "/subscriptions?api-version=2022-12-01", {
      token: token.token,
    });
    expect(response.status).toBe(401);
    expect(at(response.body, "error", "code")).toBe("InvalidAuthenticationToken");
  });

  it("lets a confidential client get tokens for the estate's Azure APIs too", async () => {
    const token = await credentialFor(localClients.reader).getToken("https://management.azure.com/.default");
    const response = await call(estate, "GET", "/subscriptions?api-version=2022-12-01", {
      token: token.token,
    });
    expect(response.status).toBe(200);
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { localClients, phoenixOpsApi } from "../../../local/estate/auth/app-registrations.ts";
import { mintTestToken } from "../../../local/estate/auth/test-tokens.ts";
import type { MintOptions } from "../../../local/estate/auth/test-tokens.ts";
import type { Estate } from "../../../local/estate/index.ts";
import { errorResponse } from "../../../src/shared/edge/problem.ts";
import { silentLogger } from "../../../src/shared/log.ts";
import type { EntraAuthOptions } from "../../../src/shared/auth/entra-token.ts";
import {
  AuthError,
  EntraTokenValidator,
  opsRoles,
  requireRole,
} from "../../../src/shared/auth/entra-token.ts";
import { OpsError } from "../../../src/shared/errors.ts";
import { startTestEstate } from "../../estate/helpers.ts";
import { bodyText, clientToken, expectRefused } from "./support.ts";

/** The validator against a running estate: its real OIDC metadata, JWKS and issued tokens. */
describe("EntraTokenValidator", () => {
  let estate: Estate;
  let close: () => Promise<void>;
  /** Minted tokens count from this instant; the validator's clock is moved around it. */
  const t0 = new Date("2031-03-04T05:06:07Z");
  let now = t0;
  const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

  beforeAll(async () => {
    ({ estate, close } = await startTestEstate());
  });
  afterAll(() => close());
  beforeEach(() => {
    now = t0;
  });

  const validatorFor = (overrides: Partial<EntraAuthOptions> = {}) =>
    new EntraTokenValidator({
      tenantId: estate.tenantId,
      authorityHost: estate.url,
      audiences: [phoenixOpsApi.appIdUri, phoenixOpsApi.clientId],
      clock: { now: () => now },
      ...overrides,
    });
  /** Tokens from the token endpoint are stamped with the wall clock: validate them on it. */
  const wallClockValidator = () => validatorFor({ clock: { now: () => new Date() } });
  const mint = (claims: Record<string, unknown> = {}, options: MintOptions = {}) =>
    mintTestToken(estate, claims, { now: t0, ...options });
  const bearer = (token: string) => `Bearer ${token}`;

  describe("accepts", () => {
    it("a reader client's token, with its role", async () => {
      const caller = await wallClockValidator().validate(
        bearer(await clientToken(estate, localClients.reader)),
      );
      expect(caller).toMatchObject({
        appId: localClients.reader.clientId,
        roles: [opsRoles.reader],
        tenantId: estate.tenantId,
        kind: "app",
        name: null,
      });
      expect(caller.objectId).toMatch(/^[0-9a-f-]{36}$/);
      expect(() => requireRole(caller, [opsRoles.reader, opsRoles.operator])).not.toThrow();
    });

    it("an operator client's token, with its role", async () => {
      const caller = await wallClockValidator().validate(
        bearer(await clientToken(estate, localClients.operator)),
      );
      expect(caller.roles).toEqual([opsRoles.operator]);
      expect(() => requireRole(caller, [opsRoles.operator])).not.toThrow();
    });

    it("a token whose aud is the API's client id (v2 tokens)", async () => {
      const token = await clientToken(estate, localClients.operator, `${phoenixOpsApi.clientId}/.default`);
      expect((await wallClockValidator().validate(bearer(token))).roles).toEqual([opsRoles.operator]);
    });

    it("the tenant's v1 issuer (sts.windows.net) by default, and only listed issuers when configured", async () => {
      const v1 = await mint({ iss: `https://sts.windows.net/${estate.tenantId}/` });
      expect((await validatorFor().validate(bearer(v1))).roles).toEqual([opsRoles.reader]);
      const v2Only = validatorFor({ issuers: [`${estate.url}/${estate.tenantId}/v2.0`] });
      await expectRefused(v2Only.validate(bearer(v1)), 401, "wrong_issuer", [v1]);
    });

    it("the scheme in any case and a GUID tenant in upper case", async () => {
      const token = await mint();
      const validator = validatorFor({ tenantId: estate.tenantId.toUpperCase() });
      expect((await validator.validate(`bearer ${token}`)).tenantId).toBe(estate.tenantId);
    });

    it("a delegated (user) token, named by its upn", async () => {
      const token = await mint({
        idtyp: undefined,
        scp: "Ops.Read",
        upn: "alice@phoenixvc.tech",
        appid: undefined,
        azp: "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
      });
      expect(await validatorFor().validate(bearer(token))).toMatchObject({
        kind: "user",
        name: "alice@phoenixvc.tech",
        appId: "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
      });
    });

    it("an app token without idtyp as an app (no scp, no upn), named by app_displayname", async () => {
      const token = await mint({ idtyp: undefined, app_displayname: "ops-reader" });
      expect(await validatorFor().validate(bearer(token))).toMatchObject({ kind: "app", name: "ops-reader" });
    });

    it("a token without roles, with no roles: requireRole answers 403", async () => {
      const token = await clientToken(estate, localClients.noRoles);
      const caller = await wallClockValidator().validate(bearer(token));
      expect(caller.roles).toEqual([]);
      await expectRefused(
        Promise.resolve().then(() => requireRole(caller, [opsRoles.reader])),
        403,
        "insufficient_role",
      );
    });

    it("a reader's token, which requireRole refuses for operator work", async () => {
      const caller = await validatorFor().validate(bearer(await mint()));
      const refusal = await expectRefused(
        Promise.resolve().then(() => requireRole(caller, [opsRoles.operator])),
        403,
        "insufficient_role",
      );
      expect(refusal.challenge).toContain('error="insufficient_scope"');
    });
  });

  describe("refuses with 401", () => {
    it("a request without a token", async () => {
      const validator = validatorFor();
      for (const header of [null, undefined, "", "   "]) {
        const refusal = await expectRefused(validator.validate(header), 401, "missing_token");
        expect(refusal.challenge).toBe('Bearer realm="phoenix-ops"');
      }
    });

    it("a malformed Authorization header", async () => {
      const token = await mint();
      const validator = validatorFor();
      const headers = [
        "Basic dXNlcjpwYXNzd29yZA==",
        `Token ${token}`,
        "Bearer",
        "Bearer ",
        "Bearer not-a-jwt",
        "Bearer a.b",
        `Bearer ${token}.extra`,
        "Bearer !!!.###.$$$",
        // A header segment that is base64url but not JSON ("not-json").
        "Bearer bm90LWpzb24.e30.c2ln",
        `Bearer ${"a".repeat(40_000)}.b.c`,
      ];
      for (const header of headers) {
        await expectRefused(validator.validate(header), 401, "malformed_token", [token]);
      }
    });

    it("an expired token, with the clock tolerance (60 s by default) respected", async () => {
      const token = await mint();
      const validator = validatorFor();
      now = at(3600 + 59);
      await expect(validator.validate(bearer(token))).resolves.toMatchObject({ roles: [opsRoles.reader] });
      now = at(3600 + 61);
      await expectRefused(validator.validate(bearer(token)), 401, "expired_token", [token]);
      now = at(3600);
      await expectRefused(
        validatorFor({ clockToleranceInSeconds: 0 }).validate(bearer(token)),
        401,
        "expired_token",
        [token],
      );
    });

    it("a token that is not valid yet", async () => {
      const validator = validatorFor();
      const soon = await mint({ nbf: Math.floor(at(30).getTime() / 1000) });
      await expect(validator.validate(bearer(soon))).resolves.toBeDefined();
      const later = await mint({ nbf: Math.floor(at(120).getTime() / 1000) });
      await expectRefused(validator.validate(bearer(later)), 401, "token_not_yet_valid", [later]);
    });

    it("a token for another audience", async () => {
      const token = await mint({ aud: "https://management.azure.com" });
      await expectRefused(validatorFor().validate(bearer(token)), 401, "wrong_audience", [token]);
      const none = await mint({ aud: undefined });
      await expectRefused(validatorFor().validate(bearer(none)), 401, "invalid_claims", [none]);
    });

    it("a token from another issuer", async () => {
      const otherTenant = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e";
      for (const iss of [
        `${estate.url}/${otherTenant}/v2.0`,
        `https://login.microsoftonline.com/${estate.tenantId}/v2.0`,
        `https://sts.windows.net/${otherTenant}/`,
      ]) {
        const token = await mint({ iss });
        await expectRefused(validatorFor().validate(bearer(token)), 401, "wrong_issuer", [token]);
      }
    });

    it("a token for another tenant under the right issuer", async () => {
      const token = await mint({ tid: "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e" });
      await expectRefused(validatorFor().validate(bearer(token)), 401, "wrong_tenant", [token]);
    });

    it("a token signed with a key the tenant never published", async () => {
      const forged = await mint({ roles: [opsRoles.operator] }, { signWith: "foreign-key" });
      await expectRefused(validatorFor().validate(bearer(forged)), 401, "bad_signature", [forged]);
    });

    it("a genuine token whose payload was swapped", async () => {
      const [header, , signature] = (await mint()).split(".");
      const [, payload] = (await mint({ roles: [opsRoles.operator] }, { signWith: "none" })).split(".");
      const tampered = `${header}.${payload}.${signature}`;
      await expectRefused(validatorFor().validate(bearer(tampered)), 401, "bad_signature", [tampered]);
    });

    it("an unsigned token (alg none)", async () => {
      const unsigned = await mint({ roles: [opsRoles.operator] }, { signWith: "none" });
      expect(unsigned.endsWith(".")).toBe(true);
      await expectRefused(validatorFor().validate(bearer(unsigned)), 401, "unsigned_token", [unsigned]);
      // A header with no alg at all is no better.
      await expectRefused(validatorFor().validate("Bearer e30.e30.e30"), 401, "unsigned_token");
    });

    it("an HS256 token keyed with the tenant's public key", async () => {
      const confused = await mint({ roles: [opsRoles.operator] }, { signWith: "hs256" });
      await expectRefused(validatorFor().validate(bearer(confused)), 401, "disallowed_alg", [confused]);
    });

    it("a signed token missing a claim the app relies on", async () => {
      for (const claims of [
        { exp: undefined },
        { oid: undefined },
        { tid: undefined },
        { roles: "Ops.Operator" },
        { exp: "tomorrow" },
      ]) {
        const token = await mint(claims);
        await expectRefused(validatorFor().validate(bearer(token)), 401, "invalid_claims", [token]);
      }
    });
  });

  describe("HTTP answers", () => {
    it("are problem+json with the code and a Bearer challenge, quoting nothing of the token", async () => {
      const token = await mint({ aud: "api://someone-else", oid: "11112222-3333-4444-8555-666677778888" });
      const refusal = await expectRefused(validatorFor().validate(bearer(token)), 401, "wrong_audience", [
        token,
      ]);
      const response = errorResponse(refusal, silentLogger);
      expect(response.status).toBe(401);
      expect(response.headers).toMatchObject({
        "content-type": "application/problem+json",
        "www-authenticate": `Bearer realm="phoenix-ops", error="invalid_token", error_description="${refusal.message}"`,
      });
      const body = JSON.parse(bodyText(response)) as Record<string, unknown>;
      expect(body).toEqual({
        type: "about:blank",
        title: "Unauthorized",
        status: 401,
        detail: "the token was not issued for this API",
        code: "wrong_audience",
      });
      expect(bodyText(response)).not.toContain("someone-else");
      expect(bodyText(response)).not.toContain("11112222");
    });
  });

  describe("signing keys", () => {
    it("are discovered once and cached per validator", async () => {
      const validator = validatorFor();
      const tokens = await Promise.all([mint(), mint({ roles: [opsRoles.operator] }), mint(), mint()]);
      // Minting with a foreign key reads the estate's JWKS (for its kid): done before counting.
      const forged = await mint({}, { signWith: "foreign-key" });
      estate.resetStats();
      await Promise.all(tokens.slice(0, 3).map((t) => validator.validate(bearer(t))));
      await validator.validate(bearer(tokens[3] ?? ""));
      await expectRefused(validator.validate(bearer(forged)), 401, "bad_signature");
      expect(estate.stats().byRoute).toEqual({ "oidc-configuration": 1, "oidc-keys": 1 });
    });

    it("that cannot be fetched make a retryable AzureUnavailable, not a 401, and are retried", async () => {
      const token = await mint();
      // The estate answers 400 for an unknown tenant's metadata.
      const unknownTenant = validatorFor({ tenantId: "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e" });
      estate.resetStats();
      for (let attempt = 0; attempt < 2; attempt++) {
        const error = await unknownTenant.validate(bearer(token)).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(OpsError);
        expect(error).not.toBeInstanceOf(AuthError);
        expect(error).toMatchObject({ code: "AzureUnavailable", retryable: true });
      }
      expect(estate.stats().byRoute["oidc-configuration"]).toBe(2);

      const unreachable = validatorFor({ authorityHost: "https://127.0.0.1:9", fetchTimeoutInMs: 2000 });
      await expect(unreachable.validate(bearer(token))).rejects.toMatchObject({ code: "AzureUnavailable" });

      estate.addFault({
        pathPattern: /\/discovery\/v2\.0\/keys$/,
        status: 503,
        retryAfterSeconds: 1,
        count: 1,
      });
      const flaky = validatorFor();
      await expect(flaky.validate(bearer(token))).rejects.toMatchObject({ code: "AzureUnavailable" });
      await expect(flaky.validate(bearer(token))).resolves.toMatchObject({ roles: [opsRoles.reader] });
    });
  });

  describe("options", () => {
    it("are checked when the validator is made", () => {
      const base: EntraAuthOptions = {
        tenantId: estate.tenantId,
        authorityHost: estate.url,
        audiences: [phoenixOpsApi.appIdUri],
      };
      const bad: Partial<EntraAuthOptions>[] = [
        { tenantId: "contoso.onmicrosoft.com" },
        { authorityHost: "http://login.microsoftonline.com" },
        { audiences: [] },
        { clockToleranceInSeconds: -1 },
      ];
      for (const overrides of bad) {
        expect(() => new EntraTokenValidator({ ...base, ...overrides })).toThrow(OpsError);
      }
      expect(new EntraTokenValidator({ ...base, authorityHost: `${estate.url}/` }).metadataUrl).toBe(
        `${estate.url}/${estate.tenantId}/v2.0/.well-known/openid-configuration`,
      );
    });
  });
});

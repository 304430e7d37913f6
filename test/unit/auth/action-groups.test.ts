import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actionGroupsAppId as estateActionGroupsAppId } from "../../../local/estate/auth/app-registrations.ts";
import { localClients, phoenixOpsApi } from "../../../local/estate/auth/app-registrations.ts";
import { mintTestToken } from "../../../local/estate/auth/test-tokens.ts";
import type { Estate } from "../../../local/estate/index.ts";
import type { Caller } from "../../../src/shared/auth/entra-token.ts";
import {
  actionGroupsAppId,
  actionGroupsSecureWebhookRole,
  EntraTokenValidator,
  validateActionGroupCaller,
} from "../../../src/shared/auth/entra-token.ts";
import { startTestEstate } from "../../estate/helpers.ts";
import { clientToken, expectRefused } from "./support.ts";

const check = (caller: Caller, options?: { requiredRole?: string }) =>
  Promise.resolve().then(() => validateActionGroupCaller(caller, options));

describe("action group secure webhooks", () => {
  let estate: Estate;
  let close: () => Promise<void>;
  let validator: EntraTokenValidator;

  beforeAll(async () => {
    ({ estate, close } = await startTestEstate());
    validator = new EntraTokenValidator({
      tenantId: estate.tenantId,
      authorityHost: estate.url,
      audiences: [phoenixOpsApi.appIdUri, phoenixOpsApi.clientId],
    });
  });
  afterAll(() => close());

  it("uses the AzNS AAD Webhook app id and role of the Azure Monitor docs, as the estate does", () => {
    expect(actionGroupsAppId).toBe("461e8683-5575-4561-ac7f-899cc907d62a");
    expect(estateActionGroupsAppId).toBe(actionGroupsAppId);
    expect(actionGroupsSecureWebhookRole).toBe(phoenixOpsApi.roles.actionGroupsSecureWebhook);
  });

  it("accepts the action groups' service principal with its role", async () => {
    const caller = await validator.validate(`Bearer ${await clientToken(estate, localClients.actionGroup)}`);
    expect(caller).toMatchObject({
      appId: actionGroupsAppId,
      kind: "app",
      roles: [actionGroupsSecureWebhookRole],
    });
    await expect(check(caller)).resolves.toBeUndefined();
    await expect(check(caller, { requiredRole: actionGroupsSecureWebhookRole })).resolves.toBeUndefined();
  });

  it("refuses any other caller with 403 not_action_group, whatever its roles", async () => {
    for (const client of [localClients.operator, localClients.reader, localClients.noRoles]) {
      const caller = await validator.validate(`Bearer ${await clientToken(estate, client)}`);
      await expectRefused(check(caller), 403, "not_action_group");
    }
    const impostor = await mintTestToken(estate, {
      appid: localClients.operator.clientId,
      azp: localClients.operator.clientId,
      roles: [actionGroupsSecureWebhookRole],
    });
    await expectRefused(check(await validator.validate(`Bearer ${impostor}`)), 403, "not_action_group");
  });

  it("refuses the action groups' app without the role (not assigned on this API)", async () => {
    const token = await mintTestToken(estate, {
      appid: actionGroupsAppId,
      azp: actionGroupsAppId,
      roles: undefined,
    });
    const caller = await validator.validate(`Bearer ${token}`);
    await expectRefused(check(caller), 403, "insufficient_role");
  });

  it("checks a configured role instead of the default", async () => {
    const caller = await validator.validate(`Bearer ${await clientToken(estate, localClients.actionGroup)}`);
    await expectRefused(check(caller, { requiredRole: "Alerts.Send" }), 403, "insufficient_role");
  });

  it("refuses a user token even if it names the app", async () => {
    const caller: Caller = {
      objectId: "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
      appId: actionGroupsAppId,
      name: "mallory@phoenixvc.tech",
      roles: [actionGroupsSecureWebhookRole],
      tenantId: estate.tenantId,
      kind: "user",
    };
    await expectRefused(check(caller), 403, "not_action_group");
    await expect(
      check({ ...caller, kind: "app", appId: actionGroupsAppId.toUpperCase() }),
    ).resolves.toBeUndefined();
  });
});

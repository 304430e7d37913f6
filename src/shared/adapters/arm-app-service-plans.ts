import type { WebSiteManagementClient } from "@azure/arm-appservice";
import { parseResourceId } from "../azure-ids.ts";
import { tierOf } from "../app-service-skus.ts";
import type { ChangeToken } from "../change-control/change-token.ts";
import { OpsError, fromAzureError } from "../errors.ts";
import type { AppServicePlanState, AppServicePlans, SitePlan } from "../ports/app-service-plans.ts";
import type { CallOptions } from "../ports/call-options.ts";

/**
 * App Service plans through Resource Manager. The write is `az appservice plan update --sku`'s: read
 * the plan, PUT it whole with the new SKU (name, tier, capacity), and follow the long-running operation
 * to its end (the SDK's poller reads `Azure-AsyncOperation`); a 409 (another operation in flight) or a
 * Failed operation is an error the change records.
 */
export class ArmAppServicePlans implements AppServicePlans {
  constructor(private readonly webSites: (subscriptionId: string) => WebSiteManagementClient) {}

  async siteOf(
    subscriptionId: string,
    resourceGroup: string,
    siteName: string,
    options: CallOptions = {},
  ): Promise<SitePlan | undefined> {
    try {
      const site = await this.webSites(subscriptionId).webApps.get(resourceGroup, siteName, {
        abortSignal: options.abortSignal,
      });
      if (!site.id || !site.serverFarmId) return undefined;
      return { siteId: site.id, siteName: site.name ?? siteName, planId: site.serverFarmId };
    } catch (error) {
      const classified = fromAzureError(error, `site ${siteName}`);
      if (classified.code === "NotFound") return undefined;
      throw classified;
    }
  }

  async get(planId: string, options: CallOptions = {}): Promise<AppServicePlanState | undefined> {
    const { subscriptionId, resourceGroup, name } = parsePlanId(planId);
    try {
      const plan = await this.webSites(subscriptionId).appServicePlans.get(resourceGroup, name, {
        abortSignal: options.abortSignal,
      });
      return stateOf(plan, planId);
    } catch (error) {
      const classified = fromAzureError(error, `App Service plan ${name}`);
      if (classified.code === "NotFound") return undefined;
      throw classified;
    }
  }

  async update(
    token: ChangeToken,
    planId: string,
    target: { skuName: string; capacity: number },
    options: CallOptions = {},
  ): Promise<void> {
    token.assertFor(planId);
    const { subscriptionId, resourceGroup, name } = parsePlanId(planId);
    const tier = tierOf(target.skuName);
    if (!tier) throw new OpsError("BadRequest", `${target.skuName} is not an App Service SKU`);
    const client = this.webSites(subscriptionId);
    try {
      const current = await client.appServicePlans.get(resourceGroup, name, {
        abortSignal: options.abortSignal,
      });
      await client.appServicePlans.createOrUpdate(
        resourceGroup,
        name,
        { ...current, sku: { name: target.skuName, tier, capacity: target.capacity } },
        { abortSignal: options.abortSignal, updateIntervalInMs: 1000 },
      );
    } catch (error) {
      throw fromAzureError(error, `App Service plan ${name}`);
    }
  }
}

function stateOf(
  plan: { id?: string; name?: string; sku?: { name?: string; tier?: string; capacity?: number } },
  planId: string,
): AppServicePlanState {
  return {
    id: plan.id ?? planId,
    name: plan.name ?? parsePlanId(planId).name,
    skuName: plan.sku?.name ?? "",
    tier: plan.sku?.tier ?? "",
    capacity: plan.sku?.capacity ?? 1,
  };
}

function parsePlanId(planId: string): { subscriptionId: string; resourceGroup: string; name: string } {
  let parsed;
  try {
    parsed = parseResourceId(planId);
  } catch (error) {
    throw new OpsError("BadRequest", `not an App Service plan id: ${planId}`, { cause: error });
  }
  if (parsed.type.toLowerCase() !== "microsoft.web/serverfarms") {
    throw new OpsError("BadRequest", `not an App Service plan id: ${planId}`);
  }
  return parsed;
}

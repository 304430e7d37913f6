import { tierOf } from "../../src/shared/app-service-skus.ts";
import type { ChangeToken } from "../../src/shared/change-control/change-token.ts";
import { OpsError } from "../../src/shared/errors.ts";
import type {
  AppServicePlanState,
  AppServicePlans,
  SitePlan,
} from "../../src/shared/ports/app-service-plans.ts";
import type { AutoscaleSettings, AutoscaleState } from "../../src/shared/ports/autoscale-settings.ts";

const key = (id: string) => id.toLowerCase();

/** App Service plans in memory, answering as the Resource Manager adapter does (contract: test/contract/scaling-ports). */
export class FakePlans implements AppServicePlans {
  readonly plans = new Map<string, AppServicePlanState>();
  readonly sites = new Map<string, SitePlan>();
  /** Every write, in order, with the change that made it. */
  readonly writes: { changeId: string; planId: string; skuName: string; capacity: number }[] = [];
  /** The next update fails with this (Resource Manager refuses, or the operation ends Failed). */
  failNextUpdate: Error | undefined;
  /** Writes are accepted but change nothing (a read-back that does not show the change). */
  ignoreWrites = false;
  /** Called at the start of every update: a test can crash an instance there. */
  onUpdate: (() => void) | undefined;

  addPlan(plan: AppServicePlanState): void {
    this.plans.set(key(plan.id), { ...plan });
  }

  addSite(subscriptionId: string, resourceGroup: string, siteName: string, planId: string): void {
    const siteId = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Web/sites/${siteName}`;
    this.sites.set(key(`${subscriptionId}|${resourceGroup}|${siteName}`), { siteId, siteName, planId });
  }

  async siteOf(
    subscriptionId: string,
    resourceGroup: string,
    siteName: string,
  ): Promise<SitePlan | undefined> {
    const site = this.sites.get(key(`${subscriptionId}|${resourceGroup}|${siteName}`));
    return site ? { ...site } : undefined;
  }

  async get(planId: string): Promise<AppServicePlanState | undefined> {
    const plan = this.plans.get(key(planId));
    return plan ? { ...plan } : undefined;
  }

  async update(
    token: ChangeToken,
    planId: string,
    target: { skuName: string; capacity: number },
  ): Promise<void> {
    token.assertFor(planId);
    this.onUpdate?.();
    if (this.failNextUpdate) {
      const error = this.failNextUpdate;
      this.failNextUpdate = undefined;
      throw error;
    }
    const plan = this.plans.get(key(planId));
    if (!plan) throw new OpsError("NotFound", `App Service plan ${planId} was not found`);
    const tier = tierOf(target.skuName);
    if (!tier) throw new OpsError("BadRequest", `${target.skuName} is not an App Service SKU`);
    this.writes.push({ changeId: token.changeId, planId, ...target });
    if (this.ignoreWrites) return;
    this.plans.set(key(planId), { ...plan, skuName: target.skuName, tier, capacity: target.capacity });
  }
}

/** Autoscale settings in memory. */
export class FakeAutoscale implements AutoscaleSettings {
  readonly settings = new Map<string, AutoscaleState & { target: string }>();
  readonly writes: { changeId: string; settingId: string; minimum: number }[] = [];

  add(setting: AutoscaleState & { target: string }): void {
    this.settings.set(key(setting.settingId), { ...setting });
  }

  async forTarget(resourceId: string): Promise<AutoscaleState | undefined> {
    for (const setting of this.settings.values()) {
      if (key(setting.target) === key(resourceId)) {
        return {
          settingId: setting.settingId,
          name: setting.name,
          enabled: setting.enabled,
          minimum: setting.minimum,
          maximum: setting.maximum,
        };
      }
    }
    return undefined;
  }

  async setMinimum(token: ChangeToken, settingId: string, minimum: number): Promise<void> {
    const setting = this.settings.get(key(settingId));
    if (!setting) throw new OpsError("NotFound", `autoscale setting ${settingId} was not found`);
    token.assertFor(setting.target);
    this.writes.push({ changeId: token.changeId, settingId, minimum });
    setting.minimum = minimum;
    setting.maximum = Math.max(setting.maximum, minimum);
  }
}

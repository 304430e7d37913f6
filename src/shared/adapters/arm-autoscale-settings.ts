import type { AutoscaleSettingResource, MonitorClient } from "@azure/arm-monitor";
import { normalizeId, parseResourceId } from "../azure-ids.ts";
import type { ChangeToken } from "../change-control/change-token.ts";
import { fromAzureError } from "../errors.ts";
import type { AutoscaleSettings, AutoscaleState } from "../ports/autoscale-settings.ts";
import type { CallOptions } from "../ports/call-options.ts";

/**
 * Autoscale settings through Resource Manager (Microsoft.Insights/autoscalesettings). A setting names
 * its target by `targetResourceUri`; one is found by listing the target's resource group, where
 * `az monitor autoscale create` puts it. Profile capacities are strings on the wire.
 */
export class ArmAutoscaleSettings implements AutoscaleSettings {
  constructor(private readonly monitor: (subscriptionId: string) => MonitorClient) {}

  async forTarget(resourceId: string, options: CallOptions = {}): Promise<AutoscaleState | undefined> {
    const { subscriptionId, resourceGroup } = parseResourceId(resourceId);
    const wanted = normalizeId(resourceId);
    try {
      for await (const setting of this.monitor(subscriptionId).autoscaleSettings.listByResourceGroup(
        resourceGroup,
        { abortSignal: options.abortSignal },
      )) {
        if (setting.targetResourceUri && normalizeId(setting.targetResourceUri) === wanted) {
          return stateOf(setting);
        }
      }
      return undefined;
    } catch (error) {
      throw fromAzureError(error, `autoscale settings of ${resourceGroup}`);
    }
  }

  async setMinimum(
    token: ChangeToken,
    settingId: string,
    minimum: number,
    options: CallOptions = {},
  ): Promise<void> {
    const { subscriptionId, resourceGroup, name } = parseResourceId(settingId);
    const client = this.monitor(subscriptionId);
    let setting: AutoscaleSettingResource;
    try {
      setting = await client.autoscaleSettings.get(resourceGroup, name, { abortSignal: options.abortSignal });
    } catch (error) {
      throw fromAzureError(error, `autoscale setting ${name}`);
    }
    // The token is for the plan the setting scales: that is the resource whose capacity changes.
    token.assertFor(setting.targetResourceUri ?? settingId);
    const profiles = setting.profiles.map((profile) => {
      const max = Math.max(Number(profile.capacity.maximum), minimum);
      const def = Math.min(Math.max(Number(profile.capacity.default), minimum), max);
      return {
        ...profile,
        capacity: { minimum: String(minimum), maximum: String(max), default: String(def) },
      };
    });
    try {
      await client.autoscaleSettings.createOrUpdate(
        resourceGroup,
        name,
        { ...setting, profiles },
        { abortSignal: options.abortSignal },
      );
    } catch (error) {
      throw fromAzureError(error, `autoscale setting ${name}`);
    }
  }
}

function stateOf(setting: AutoscaleSettingResource): AutoscaleState {
  const minimums = setting.profiles.map((p) => Number(p.capacity.minimum));
  const maximums = setting.profiles.map((p) => Number(p.capacity.maximum));
  return {
    settingId: setting.id ?? "",
    name: setting.name ?? "",
    enabled: setting.enabled !== false,
    minimum: minimums.length > 0 ? Math.min(...minimums) : 1,
    maximum: maximums.length > 0 ? Math.max(...maximums) : 1,
  };
}

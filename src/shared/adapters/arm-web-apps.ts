import type { WebSiteManagementClient } from "@azure/arm-appservice";
import type { ChangeToken } from "../change-control/change-token.ts";
import { OpsError, fromAzureError } from "../errors.ts";
import type { CallOptions } from "../ports/call-options.ts";
import {
  type SlotState,
  type WebAppSlots,
  productionSlot,
  siteIdOf,
  slotIdOf,
} from "../ports/web-app-slots.ts";

type SiteTarget = { subscriptionId: string; resourceGroup: string; siteName: string };

const isProduction = (slot: string) => slot.toLowerCase() === productionSlot;

/**
 * Web apps and their deployment slots through Resource Manager (the Web provider). The swap is az
 * webapp deployment slot swap's: POST `slotsswap` on the site (with production) or on the slot (with
 * another slot), a long-running operation followed to its end; a 409 (another operation on the site)
 * is a retryable "Conflict". App settings are written as the portal and az write them: the whole
 * dictionary (PUT config/appsettings) after a read, and slot settings through config/slotConfigNames.
 */
export class ArmWebApps implements WebAppSlots {
  constructor(private readonly webSites: (subscriptionId: string) => WebSiteManagementClient) {}

  async getSlot(
    subscriptionId: string,
    resourceGroup: string,
    siteName: string,
    slot: string,
    options: CallOptions = {},
  ): Promise<SlotState | undefined> {
    const client = this.webSites(subscriptionId).webApps;
    const what = isProduction(slot) ? `site ${siteName}` : `slot ${siteName}/${slot}`;
    try {
      const [site, settings] = await Promise.all([
        isProduction(slot)
          ? client.get(resourceGroup, siteName, { abortSignal: options.abortSignal })
          : client.getSlot(resourceGroup, siteName, slot, { abortSignal: options.abortSignal }),
        isProduction(slot)
          ? client.listApplicationSettings(resourceGroup, siteName, { abortSignal: options.abortSignal })
          : client.listApplicationSettingsSlot(resourceGroup, siteName, slot, {
              abortSignal: options.abortSignal,
            }),
      ]);
      return {
        id: site.id ?? slotIdOf(subscriptionId, resourceGroup, siteName, slot),
        siteName,
        slot: isProduction(slot) ? productionSlot : slot,
        state: site.state ?? "Unknown",
        defaultHostName: site.defaultHostName ?? null,
        targetSwapSlot: site.targetSwapSlot ?? null,
        appSettings: stringRecord(settings.properties),
      };
    } catch (error) {
      const classified = fromAzureError(error, what);
      if (classified.code === "NotFound") return undefined;
      throw classified;
    }
  }

  async listSlots(
    subscriptionId: string,
    resourceGroup: string,
    siteName: string,
    options: CallOptions = {},
  ): Promise<string[] | undefined> {
    const client = this.webSites(subscriptionId).webApps;
    try {
      const names: string[] = [];
      for await (const slot of client.listSlots(resourceGroup, siteName, {
        abortSignal: options.abortSignal,
      })) {
        const name = slot.name?.split("/").pop();
        if (name) names.push(name);
      }
      return names;
    } catch (error) {
      const classified = fromAzureError(error, `site ${siteName}`);
      if (classified.code === "NotFound") return undefined;
      throw classified;
    }
  }

  async slotSettingNames(
    subscriptionId: string,
    resourceGroup: string,
    siteName: string,
    options: CallOptions = {},
  ): Promise<string[]> {
    try {
      const names = await this.webSites(subscriptionId).webApps.listSlotConfigurationNames(
        resourceGroup,
        siteName,
        { abortSignal: options.abortSignal },
      );
      return [...(names.appSettingNames ?? [])];
    } catch (error) {
      throw fromAzureError(error, `site ${siteName}`);
    }
  }

  async setAppSettings(
    token: ChangeToken,
    target: SiteTarget & { slot: string },
    settings: Record<string, string>,
    sticky: readonly string[],
    options: CallOptions = {},
  ): Promise<void> {
    const { subscriptionId, resourceGroup, siteName, slot } = target;
    // A slot changes as part of its site: the change (a swap, a rollback) is the site's.
    token.assertFor(siteIdOf(subscriptionId, resourceGroup, siteName));
    const client = this.webSites(subscriptionId).webApps;
    const call = { abortSignal: options.abortSignal };
    try {
      if (sticky.length > 0) {
        const names = await client.listSlotConfigurationNames(resourceGroup, siteName, call);
        const present = names.appSettingNames ?? [];
        const missing = sticky.filter((n) => !present.includes(n));
        if (missing.length > 0) {
          await client.updateSlotConfigurationNames(
            resourceGroup,
            siteName,
            { ...names, appSettingNames: [...present, ...missing] },
            call,
          );
        }
      }
      if (isProduction(slot)) {
        const current = await client.listApplicationSettings(resourceGroup, siteName, call);
        await client.updateApplicationSettings(
          resourceGroup,
          siteName,
          { properties: { ...stringRecord(current.properties), ...settings } },
          call,
        );
      } else {
        const current = await client.listApplicationSettingsSlot(resourceGroup, siteName, slot, call);
        await client.updateApplicationSettingsSlot(
          resourceGroup,
          siteName,
          slot,
          { properties: { ...stringRecord(current.properties), ...settings } },
          call,
        );
      }
    } catch (error) {
      throw classify(error, isProduction(slot) ? `site ${siteName}` : `slot ${siteName}/${slot}`);
    }
  }

  async swap(
    token: ChangeToken,
    target: SiteTarget,
    slot: string,
    targetSlot: string,
    options: CallOptions & { updateIntervalInMs?: number } = {},
  ): Promise<void> {
    const { subscriptionId, resourceGroup, siteName } = target;
    token.assertFor(siteIdOf(subscriptionId, resourceGroup, siteName));
    if (slot.toLowerCase() === targetSlot.toLowerCase()) {
      throw new OpsError("BadRequest", `cannot swap slot ${slot} with itself`);
    }
    const client = this.webSites(subscriptionId).webApps;
    const poll = { abortSignal: options.abortSignal, updateIntervalInMs: options.updateIntervalInMs ?? 1000 };
    try {
      if (isProduction(slot)) {
        await client.swapSlotWithProduction(
          resourceGroup,
          siteName,
          { targetSlot, preserveVnet: true },
          poll,
        );
      } else {
        // az's form (--slot staging --target-slot production) posts on the slot.
        await client.swapSlot(resourceGroup, siteName, slot, { targetSlot, preserveVnet: true }, poll);
      }
    } catch (error) {
      throw classify(error, `the swap of ${siteName}/${slot} with ${targetSlot}`);
    }
  }

  async resetSwapPreview(token: ChangeToken, target: SiteTarget, options: CallOptions = {}): Promise<void> {
    const { subscriptionId, resourceGroup, siteName } = target;
    token.assertFor(siteIdOf(subscriptionId, resourceGroup, siteName));
    try {
      await this.webSites(subscriptionId).webApps.resetProductionSlotConfig(resourceGroup, siteName, {
        abortSignal: options.abortSignal,
      });
    } catch (error) {
      throw classify(error, `site ${siteName}`);
    }
  }
}

/** A 409 from the Web provider: another operation runs on the site; trying again later may work. */
function classify(error: unknown, what: string): OpsError {
  const classified = fromAzureError(error, what);
  if (classified.details["statusCode"] === 409) {
    return new OpsError("Conflict", `another operation is in progress on ${what} (409)`, {
      cause: error,
      retryable: true,
      details: classified.details,
    });
  }
  return classified;
}

function stringRecord(value: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value ?? {})) if (typeof v === "string") out[k] = v;
  return out;
}

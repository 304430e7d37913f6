import type { ChangeToken } from "../change-control/change-token.ts";
import type { CallOptions } from "./call-options.ts";

/** The production slot's name, as App Service and az spell it. */
export const productionSlot = "production";

/** A site's slot as the swap reads it: what it runs, and the settings that pin it to its slot. */
export interface SlotState {
  /** The site's id (production) or the slot's (`…/sites/{name}/slots/{slot}`). */
  id: string;
  siteName: string;
  slot: string;
  state: string;
  /** The host name the slot answers on, e.g. `phoenix-web-prod-staging.azurewebsites.net`. */
  defaultHostName: string | null;
  /** Set when a swap with preview left the slot prepared (the target of a swap not yet completed). */
  targetSwapSlot: string | null;
  /** The slot's app settings (names and values; the app never logs or stores values other than these). */
  appSettings: Record<string, string>;
}

/** Web apps and their deployment slots on Resource Manager; writes only with a change-control token. */
export interface WebAppSlots {
  /** Undefined when the site or slot does not exist. */
  getSlot(
    subscriptionId: string,
    resourceGroup: string,
    siteName: string,
    slot: string,
    options?: CallOptions,
  ): Promise<SlotState | undefined>;
  /** The site's deployment slots other than production (names only); undefined when the site does not exist. */
  listSlots(
    subscriptionId: string,
    resourceGroup: string,
    siteName: string,
    options?: CallOptions,
  ): Promise<string[] | undefined>;
  /** App setting names that stay with their slot in a swap (`config/slotConfigNames`). */
  slotSettingNames(
    subscriptionId: string,
    resourceGroup: string,
    siteName: string,
    options?: CallOptions,
  ): Promise<string[]>;
  /**
   * Sets app settings of one slot (merged into the present ones), and marks `sticky` as slot settings.
   * The token is for the site's id (a slot changes as part of its site).
   */
  setAppSettings(
    token: ChangeToken,
    target: { subscriptionId: string; resourceGroup: string; siteName: string; slot: string },
    settings: Record<string, string>,
    sticky: readonly string[],
    options?: CallOptions,
  ): Promise<void>;
  /**
   * Swaps `slot` with `targetSlot` (POST slotsswap, a long-running operation followed to its end). The
   * token is for the site's id. A 409 (another operation on the site) is an OpsError "Conflict".
   */
  swap(
    token: ChangeToken,
    target: { subscriptionId: string; resourceGroup: string; siteName: string },
    slot: string,
    targetSlot: string,
    options?: CallOptions & { updateIntervalInMs?: number },
  ): Promise<void>;
  /** Resets a slot configuration a swap with preview applied (resetSlotConfig on production). */
  resetSwapPreview(
    token: ChangeToken,
    target: { subscriptionId: string; resourceGroup: string; siteName: string },
    options?: CallOptions,
  ): Promise<void>;
}

export function siteIdOf(subscriptionId: string, resourceGroup: string, siteName: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Web/sites/${siteName}`;
}

export function slotIdOf(
  subscriptionId: string,
  resourceGroup: string,
  siteName: string,
  slot: string,
): string {
  const site = siteIdOf(subscriptionId, resourceGroup, siteName);
  return slot.toLowerCase() === productionSlot ? site : `${site}/slots/${slot}`;
}

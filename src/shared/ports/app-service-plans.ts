import type { ChangeToken } from "../change-control/change-token.ts";
import type { CallOptions } from "./call-options.ts";

export interface AppServicePlanState {
  id: string;
  name: string;
  /** The SKU's name as Resource Manager reports it, e.g. `P1v3`. */
  skuName: string;
  tier: string;
  /** Instances (workers) the plan runs. */
  capacity: number;
}

export interface SitePlan {
  siteId: string;
  siteName: string;
  planId: string;
}

/**
 * App Service plans on Resource Manager: reads for anyone, the one write (a plan's SKU and instance
 * count) only with a change-control token.
 */
export interface AppServicePlans {
  /** The site and the plan it runs on; undefined when the resource group has no such site. */
  siteOf(
    subscriptionId: string,
    resourceGroup: string,
    siteName: string,
    options?: CallOptions,
  ): Promise<SitePlan | undefined>;
  /** Undefined when the plan does not exist. */
  get(planId: string, options?: CallOptions): Promise<AppServicePlanState | undefined>;
  /**
   * Sets the plan's SKU and instance count, and waits for the long-running operation to end. A SKU
   * change is a read then a full PUT of the plan: Resource Manager's PATCH cannot change a SKU.
   */
  update(
    token: ChangeToken,
    planId: string,
    target: { skuName: string; capacity: number },
    options?: CallOptions,
  ): Promise<void>;
}

import type { ChangeToken } from "../change-control/change-token.ts";
import type { CallOptions } from "./call-options.ts";

export interface AutoscaleState {
  settingId: string;
  name: string;
  enabled: boolean;
  /** The lowest minimum of its profiles: the instance count autoscale never goes below. */
  minimum: number;
  /** The highest maximum of its profiles. */
  maximum: number;
}

/**
 * Azure Monitor autoscale settings. An enabled setting owns its target's instance count: a change that
 * set the count directly would be undone at the next evaluation, so scaling out raises its minimum.
 */
export interface AutoscaleSettings {
  /** The setting whose target is this resource (enabled or not); undefined when there is none. */
  forTarget(resourceId: string, options?: CallOptions): Promise<AutoscaleState | undefined>;
  /** Sets every profile's minimum to `minimum` (raising a default or maximum that would be below it). */
  setMinimum(token: ChangeToken, settingId: string, minimum: number, options?: CallOptions): Promise<void>;
}

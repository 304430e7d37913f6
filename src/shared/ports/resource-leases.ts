import type { CallOptions } from "./call-options.ts";

/**
 * Per-resource leases: one change of a resource at a time across every instance. A lease expires by
 * itself, so a crashed instance does not hold a resource for ever.
 */
export interface ResourceLeases {
  /** True when `holder` now holds the resource's lease (free, expired, or already its own). */
  acquire(resourceId: string, holder: string, ttlInMs: number, options?: CallOptions): Promise<boolean>;
  release(resourceId: string, holder: string, options?: CallOptions): Promise<void>;
}

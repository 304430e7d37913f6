import type { CallOptions } from "./call-options.ts";

/** What Resource Manager says about a resource right now. */
export interface ResourceState {
  resourceId: string;
  exists: boolean;
  /** Provider-specific state: "Running"/"Stopped" for sites, "Online"/"Paused"… for databases. */
  state?: string;
  /** Why the state is unknown when the read itself failed. */
  error?: string;
}

/** Resource Manager reads: one list call per resource group and type, never one call per resource. */
export interface ResourceInventory {
  getStates(resourceIds: readonly string[], options?: CallOptions): Promise<Map<string, ResourceState>>;
}

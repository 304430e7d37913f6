import { collectionPath, idKey, parseResourceId, resourceGroupId } from "./ids.ts";

/**
 * The estate's resources, held in memory as Resource Manager would return them. Surfaces read it to
 * answer GETs and, later, mutate it (scale a plan, swap a slot), so a change is visible to every API
 * that reads the same resource afterwards.
 */

/** A resource body as Resource Manager serves it (`id`, `name`, `type`, `location`, `properties`, ...). */
export interface ArmResource {
  id: string;
  name: string;
  type: string;
  location: string;
  kind?: string;
  tags?: Record<string, string>;
  sku?: Record<string, unknown>;
  properties: Record<string, unknown>;
  [extra: string]: unknown;
}

/** What a resource is for the simulated signals (metrics, logs, health probes). */
export type ComponentKind = "webapp" | "api" | "database" | "plan";

export interface SignalProfile {
  kind: ComponentKind;
  /** Scenarios act on targeted resources (the demo estate); others (bench) stay at the healthy baseline. */
  scenarioTarget: boolean;
}

export interface ResourceRecord {
  resource: ArmResource;
  /** The ops-policy environment the resource belongs to, e.g. `prod`. */
  environment?: string;
  signals?: SignalProfile;
  /** A site's or slot's application settings (`config/appsettings`), which its body does not carry. */
  appSettings?: Record<string, string>;
  /** A site's slot settings (`config/slotConfigNames` appSettingNames): they stay with their slot in a swap. */
  slotSettingNames?: string[];
}

export interface SubscriptionRecord {
  subscriptionId: string;
  displayName: string;
}

export interface ResourceGroupRecord {
  subscriptionId: string;
  name: string;
  location: string;
  environment?: string;
}

export class EstateState {
  private readonly subscriptions = new Map<string, SubscriptionRecord>();
  private readonly groups = new Map<string, ResourceGroupRecord>();
  private readonly resources = new Map<string, ResourceRecord>();
  /** Sites by name: health URLs address a site by name only, as `{name}.azurewebsites.net` does. */
  private readonly sitesByName = new Map<string, string>();
  /** Resources a scenario makes absent; kept in the map so switching scenario brings them back. */
  private hidden = new Set<string>();

  addSubscription(subscription: SubscriptionRecord): void {
    this.subscriptions.set(idKey(subscription.subscriptionId), subscription);
  }

  subscription(subscriptionId: string): SubscriptionRecord | undefined {
    return this.subscriptions.get(idKey(subscriptionId));
  }

  listSubscriptions(): SubscriptionRecord[] {
    return [...this.subscriptions.values()];
  }

  addResourceGroup(group: ResourceGroupRecord): void {
    this.groups.set(idKey(resourceGroupId(group.subscriptionId, group.name)), group);
  }

  resourceGroup(subscriptionId: string, name: string): ResourceGroupRecord | undefined {
    return this.groups.get(idKey(resourceGroupId(subscriptionId, name)));
  }

  listResourceGroups(subscriptionId: string): ResourceGroupRecord[] {
    const sub = idKey(subscriptionId);
    return [...this.groups.values()].filter((g) => idKey(g.subscriptionId) === sub);
  }

  /** Adds or replaces a resource. Its resource group must exist. */
  put(record: ResourceRecord): void {
    const parsed = parseResourceId(record.resource.id);
    if (!parsed) throw new Error(`not a resource id: ${record.resource.id}`);
    if (!this.resourceGroup(parsed.subscriptionId, parsed.resourceGroup)) {
      throw new Error(`resource group ${parsed.resourceGroup} does not exist`);
    }
    this.resources.set(idKey(record.resource.id), record);
    if (record.resource.type.toLowerCase() === "microsoft.web/sites") {
      this.sitesByName.set(record.resource.name.toLowerCase(), idKey(record.resource.id));
    }
  }

  remove(id: string): void {
    const record = this.resources.get(idKey(id));
    if (!record) return;
    this.resources.delete(idKey(id));
    const siteKey = record.resource.name.toLowerCase();
    if (this.sitesByName.get(siteKey) === idKey(id)) this.sitesByName.delete(siteKey);
  }

  /** Removes every resource of a resource group (used when a bench environment is seeded again). */
  clearResourceGroup(subscriptionId: string, name: string): void {
    const prefix = idKey(resourceGroupId(subscriptionId, name)) + "/";
    for (const [key, record] of this.resources) {
      if (key.startsWith(prefix)) this.remove(record.resource.id);
    }
  }

  /** A resource that exists now (scenario-hidden resources do not). */
  get(id: string): ResourceRecord | undefined {
    const key = idKey(id);
    return this.hidden.has(key) ? undefined : this.resources.get(key);
  }

  siteByName(name: string): ResourceRecord | undefined {
    const key = this.sitesByName.get(name.toLowerCase());
    return key === undefined ? undefined : this.get(key);
  }

  /** Resources listed in a collection (`.../providers/Microsoft.Web/sites`), sorted by name. */
  listCollection(path: string): ResourceRecord[] {
    const wanted = idKey(path);
    return this.visible()
      .filter((r) => idKey(collectionPath(r.resource.id)) === wanted)
      .sort((a, b) => a.resource.name.localeCompare(b.resource.name));
  }

  /** Every resource matching a filter, in insertion order. */
  list(filter: { subscriptionId?: string; resourceGroup?: string; type?: string } = {}): ResourceRecord[] {
    return this.visible().filter((record) => {
      const parsed = parseResourceId(record.resource.id);
      if (!parsed) return false;
      if (filter.subscriptionId && idKey(parsed.subscriptionId) !== idKey(filter.subscriptionId))
        return false;
      if (filter.resourceGroup && idKey(parsed.resourceGroup) !== idKey(filter.resourceGroup)) return false;
      if (filter.type && idKey(record.resource.type) !== idKey(filter.type)) return false;
      return true;
    });
  }

  setHidden(ids: Iterable<string>): void {
    this.hidden = new Set([...ids].map(idKey));
  }

  private visible(): ResourceRecord[] {
    return [...this.resources.entries()].filter(([key]) => !this.hidden.has(key)).map(([, r]) => r);
  }
}

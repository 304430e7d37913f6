import type { SqlManagementClient } from "@azure/arm-sql";
import type { WebSiteManagementClient } from "@azure/arm-appservice";
import { normalizeId, parseResourceId } from "../azure-ids.ts";
import { describeError, fromAzureError } from "../errors.ts";
import type { CallOptions } from "../ports/call-options.ts";
import type { ResourceInventory, ResourceState } from "../ports/resource-inventory.ts";

export interface ArmClients {
  webSites(subscriptionId: string): WebSiteManagementClient;
  sql(subscriptionId: string): SqlManagementClient;
}

/**
 * Resource Manager reads for the inventory. Resources are listed per resource group (sites) or per
 * server (databases): a thousand components cost a handful of paged list calls, which keeps the app
 * far below ARM's read throttling (250 burst, 25/s refill).
 */
export class ArmInventory implements ResourceInventory {
  constructor(private readonly clients: ArmClients) {}

  async getStates(
    resourceIds: readonly string[],
    options: CallOptions = {},
  ): Promise<Map<string, ResourceState>> {
    const groups = new Map<
      string,
      { list: () => AsyncIterable<{ id?: string; state?: string }>; ids: string[] }
    >();
    const result = new Map<string, ResourceState>();

    for (const id of resourceIds) {
      let parsed;
      try {
        parsed = parseResourceId(id);
      } catch (error) {
        result.set(id, { resourceId: id, exists: false, error: describeError(error) });
        continue;
      }
      const type = parsed.type.toLowerCase();
      const { subscriptionId, resourceGroup } = parsed;
      let key: string;
      let list: () => AsyncIterable<{ id?: string; state?: string }>;
      if (type === "microsoft.web/sites") {
        key = `sites|${subscriptionId}|${resourceGroup}`.toLowerCase();
        list = () =>
          mapStates(
            this.clients.webSites(subscriptionId).webApps.listByResourceGroup(resourceGroup, {
              abortSignal: options.abortSignal,
            }),
            (site) => ({ id: site.id, state: site.state }),
          );
      } else if (type === "microsoft.sql/servers/databases") {
        const server = parsed.names[0] ?? "";
        key = `db|${subscriptionId}|${resourceGroup}|${server}`.toLowerCase();
        list = () =>
          mapStates(
            this.clients.sql(subscriptionId).databases.listByServer(resourceGroup, server, {
              abortSignal: options.abortSignal,
            }),
            (db) => ({ id: db.id, state: db.status }),
          );
      } else {
        result.set(id, {
          resourceId: id,
          exists: false,
          error: `resource type ${parsed.type} is not supported`,
        });
        continue;
      }
      const group = groups.get(key) ?? { list, ids: [] };
      group.ids.push(id);
      groups.set(key, group);
    }

    await Promise.all(
      [...groups.values()].map(async (group) => {
        const found = new Map<string, string | undefined>();
        try {
          for await (const item of group.list()) {
            if (item.id) found.set(normalizeId(item.id), item.state);
          }
        } catch (error) {
          const opsError = fromAzureError(error, group.ids[0] ?? "resource group");
          // A missing resource group or server means none of its resources exist.
          const missing = opsError.code === "NotFound";
          for (const id of group.ids) {
            result.set(
              id,
              missing
                ? { resourceId: id, exists: false }
                : { resourceId: id, exists: false, error: opsError.message },
            );
          }
          return;
        }
        for (const id of group.ids) {
          const key = normalizeId(id);
          result.set(
            id,
            found.has(key)
              ? { resourceId: id, exists: true, state: found.get(key) }
              : { resourceId: id, exists: false },
          );
        }
      }),
    );
    return result;
  }
}

async function* mapStates<T>(
  items: AsyncIterable<T>,
  pick: (item: T) => { id?: string; state?: string },
): AsyncIterable<{ id?: string; state?: string }> {
  for await (const item of items) yield pick(item);
}

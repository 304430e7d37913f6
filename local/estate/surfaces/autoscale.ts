import { z } from "zod";
import type { EstateContext } from "../context.ts";
import { demo, demoIds } from "../model/demo.ts";
import { resourceGroupId } from "../model/ids.ts";
import type { AutoscaleCapacity } from "../model/resource-shapes.ts";
import { autoscaleSetting, regionDisplayName } from "../model/resource-shapes.ts";
import type { ArmResource, EstateState } from "../model/state.ts";
import { azureError, json } from "../server/replies.ts";
import type { EstateRequest, Reply, Route } from "../server/router.ts";
import { checkScope, requireApiVersion, resourceNotFound } from "./arm-resources.ts";

/**
 * Azure Monitor autoscale settings (Microsoft.Insights/autoscalesettings). Reads (GET, list by
 * resource group and by subscription) go through the generic Resource Manager routes; this module
 * serves the writes, which Azure Monitor runs synchronously: PUT answers 201 when it creates and 200
 * when it replaces, PATCH 200, DELETE 200 (204 when there was nothing). The estate seeds none; a test
 * adds one with `POST /_estate/autoscale-settings` (or `estate.addAutoscaleSetting`), or with a PUT.
 */

export const autoscaleType = "Microsoft.Insights/autoscalesettings";

const capacityValue = z.union([
  z.string().regex(/^\d+$/),
  z
    .number()
    .int()
    .min(0)
    .transform((n) => String(n)),
]);

const profile = z
  .object({
    name: z.string(),
    capacity: z.object({ minimum: capacityValue, maximum: capacityValue, default: capacityValue }),
    rules: z.array(z.record(z.string(), z.unknown())).max(10),
    fixedDate: z.record(z.string(), z.unknown()).optional(),
    recurrence: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();

const settingProperties = z
  .object({
    profiles: z.array(profile).min(1).max(20),
    notifications: z.array(z.unknown()).optional(),
    enabled: z.boolean().optional(),
    predictiveAutoscalePolicy: z.record(z.string(), z.unknown()).optional(),
    name: z.string().optional(),
    targetResourceUri: z.string().min(1),
    targetResourceLocation: z.string().optional(),
  })
  .passthrough();

const putBody = z.object({
  location: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  properties: settingProperties,
});

const patchBody = z.object({
  tags: z.record(z.string(), z.string()).optional(),
  properties: settingProperties.partial().optional(),
});

type SettingProperties = z.infer<typeof settingProperties>;

function unsupportedContent(): Reply {
  return azureError(400, "UnsupportedRequestContent", "Request content is not well-formed or supported.");
}

/** Azure Monitor's checks of a profile's capacity, in its words (two spaces before "Enter" included). */
function checkCapacities(properties: Pick<SettingProperties, "profiles">): Reply | undefined {
  for (const p of properties.profiles) {
    const min = Number(p.capacity.minimum);
    const max = Number(p.capacity.maximum);
    const def = Number(p.capacity.default);
    if (min > def) {
      return azureError(
        400,
        "BadRequest",
        `The minimum capacity value '${min}' that you specified in the autoscale setting is greater than the default capacity of '${def}'.  Enter a minimum capacity less than '${def}'.`,
      );
    }
    if (def > max) {
      return azureError(
        400,
        "BadRequest",
        `The default capacity value '${def}' that you specified in the autoscale setting is greater than the maximum capacity of '${max}'.  Enter a default capacity less than '${max}'.`,
      );
    }
  }
  return undefined;
}

/** The body Azure Monitor stores: what was sent, with the defaults it fills in. */
function storedProperties(name: string, properties: SettingProperties): Record<string, unknown> {
  return {
    ...properties,
    notifications: properties.notifications ?? [],
    enabled: properties.enabled ?? false,
    predictiveAutoscalePolicy: properties.predictiveAutoscalePolicy ?? { scaleMode: "Disabled" },
    name,
  };
}

function settingId(subscriptionId: string, resourceGroup: string, name: string): string {
  return `${resourceGroupId(subscriptionId, resourceGroup)}/providers/microsoft.insights/autoscalesettings/${name}`;
}

export interface AutoscaleSeed {
  name?: string;
  /** The demo plan by default. */
  targetResourceUri?: string;
  /** Instance counts; 1 / 10 / 1 by default. */
  minimum?: number;
  maximum?: number;
  default?: number;
  /** true by default. */
  enabled?: boolean;
  /** The demo resource group by default. */
  resourceGroup?: string;
}

export const autoscaleSeedSchema = z.object({
  name: z
    .string()
    .regex(/^[^<>%&:\\?/#*$^]{1,260}$/)
    .optional(),
  targetResourceUri: z.string().min(1).optional(),
  minimum: z.number().int().min(0).optional(),
  maximum: z.number().int().min(1).optional(),
  default: z.number().int().min(0).optional(),
  enabled: z.boolean().optional(),
  resourceGroup: z.string().min(1).optional(),
});

/** Adds (or replaces) an autoscale setting, for tests and scenarios; returns its body. */
export function seedAutoscaleSetting(state: EstateState, seed: AutoscaleSeed = {}): ArmResource {
  const resourceGroup = seed.resourceGroup ?? demo.resourceGroup;
  const group = state.resourceGroup(demo.subscriptionId, resourceGroup);
  if (!group) throw new Error(`resource group ${resourceGroup} does not exist`);
  const minimum = seed.minimum ?? 1;
  const capacity: AutoscaleCapacity = {
    minimum,
    maximum: seed.maximum ?? Math.max(10, minimum),
    default: seed.default ?? minimum,
  };
  if (capacity.minimum > capacity.default || capacity.default > capacity.maximum) {
    throw new Error("an autoscale setting needs minimum ≤ default ≤ maximum");
  }
  const resource = autoscaleSetting({
    subscriptionId: demo.subscriptionId,
    resourceGroup: group.name,
    name: seed.name ?? `${demo.plan}-autoscale`,
    region: group.location,
    targetResourceUri: seed.targetResourceUri ?? demoIds.plan,
    capacity,
    enabled: seed.enabled ?? true,
  });
  state.put({ resource, ...(group.environment ? { environment: group.environment } : {}) });
  return resource;
}

/** Removes every autoscale setting in the estate. */
export function clearAutoscaleSettings(state: EstateState): number {
  const settings = state.list({ type: autoscaleType });
  for (const s of settings) state.remove(s.resource.id);
  return settings.length;
}

export function autoscaleWriteRoutes(ctx: EstateContext): Route[] {
  const { state } = ctx;
  const path =
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.Insights/autoscalesettings/{name}";

  function scope(request: EstateRequest): { id: string; name: string; reply?: Reply } {
    const subscriptionId = request.params["subscriptionId"] ?? "";
    const resourceGroup = request.params["resourceGroup"] ?? "";
    const name = request.params["name"] ?? "";
    const reply = requireApiVersion(request) ?? checkScope(ctx, { subscriptionId, resourceGroup });
    return { id: settingId(subscriptionId, resourceGroup, name), name, ...(reply ? { reply } : {}) };
  }

  return [
    {
      method: "PUT",
      path,
      access: "token",
      name: "arm.put:microsoft.insights/autoscalesettings",
      handle: async (request) => {
        const { id, name, reply } = scope(request);
        if (reply) return reply;
        const raw = await request.json();
        if (raw !== null && typeof raw === "object" && !Array.isArray(raw) && !("location" in raw)) {
          return azureError(
            400,
            "LocationRequired",
            "The location property is required for this definition.",
          );
        }
        const body = putBody.safeParse(raw);
        if (!body.success) return unsupportedContent();
        const capacityError = checkCapacities(body.data.properties);
        if (capacityError) return capacityError;
        const existing = state.get(id);
        const group = state.resourceGroup(
          request.params["subscriptionId"] ?? "",
          request.params["resourceGroup"] ?? "",
        );
        const resource: ArmResource = {
          id: existing?.resource.id ?? id,
          name: existing?.resource.name ?? name,
          type: "Microsoft.Insights/autoscaleSettings",
          location: regionDisplayName((body.data.location ?? "").replace(/\s+/g, "").toLowerCase()),
          tags: body.data.tags ?? {},
          properties: storedProperties(existing?.resource.name ?? name, body.data.properties),
        };
        state.put({ resource, ...(group?.environment ? { environment: group.environment } : {}) });
        return json(resource, existing ? 200 : 201);
      },
    },
    {
      method: "PATCH",
      path,
      access: "token",
      name: "arm.patch:microsoft.insights/autoscalesettings",
      handle: async (request) => {
        const { id, reply } = scope(request);
        if (reply) return reply;
        const record = state.get(id);
        if (!record) return resourceNotFound(id);
        const body = patchBody.safeParse(await request.json());
        if (!body.success) return unsupportedContent();
        const merged = { ...record.resource.properties, ...body.data.properties } as SettingProperties;
        const capacityError = checkCapacities(merged);
        if (capacityError) return capacityError;
        record.resource.properties = merged;
        if (body.data.tags !== undefined) record.resource.tags = { ...body.data.tags };
        return json(record.resource);
      },
    },
    {
      method: "DELETE",
      path,
      access: "token",
      name: "arm.delete:microsoft.insights/autoscalesettings",
      handle: (request) => {
        const { id, reply } = scope(request);
        if (reply) return reply;
        if (!state.get(id)) return { status: 204 };
        state.remove(id);
        return { status: 200 };
      },
    },
  ];
}

import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { EstateContext } from "../context.ts";
import { idKey, resourceGroupId } from "../model/ids.ts";
import type { ResourceRecord } from "../model/state.ts";
import { json } from "../server/replies.ts";
import type { EstateRequest, Reply, Route } from "../server/router.ts";
import { checkScope, requireApiVersion, resourceNotFound } from "./arm-resources.ts";
import { webProviderError } from "./serverfarm-writes.ts";

/**
 * Deployment slots as the Web provider runs them: each slot runs a version (its app setting
 * APP_VERSION, or the version in its WEBSITE_RUN_FROM_PACKAGE file name), serves `/version` and
 * `/health` from it, and a swap (POST slotsswap, on the site with `targetSlot`, or on a slot with
 * `targetSlot: production`, which is what az sends) is a long-running operation that exchanges the
 * slots' settings while slot settings (config/slotConfigNames) stay with their slot, as in Azure.
 * A second swap (or any slot write) while one runs is the Web provider's 409. Also served:
 * PUT config/appsettings (site and slot), PUT config/slotConfigNames, POST resetSlotConfig, and the
 * versioned packages (`/_packages/{file}`, 404 BlobNotFound once removed).
 */

/** Packages the estate's blob store holds at start: the demo web app's releases. */
export const seededPackages = ["phoenix-web-2.2.0.zip", "phoenix-web-2.3.1.zip", "phoenix-web-2.4.0.zip"];

export function packageUrl(estateUrl: string, file: string): string {
  return `${estateUrl}/_packages/${file}`;
}

const site = String.raw`^/subscriptions/(?<subscriptionId>[^/]+)/resourceGroups/(?<resourceGroup>[^/]+)/providers/Microsoft\.Web/sites/(?<name>[^/]+)`;
const slotPart = String.raw`(?:/slots/(?<slot>[^/]+))?`;

const swapBody = z.looseObject({ targetSlot: z.string().min(1), preserveVnet: z.boolean().optional() });
const settingsBody = z.looseObject({ properties: z.record(z.string(), z.string()) });
const slotNamesBody = z.looseObject({
  properties: z.looseObject({ appSettingNames: z.array(z.string()).nullable().optional() }),
});

/** The version a slot runs, from its settings. */
export function runningVersion(record: ResourceRecord | undefined): string | null {
  const settings = record?.appSettings ?? {};
  if (settings["APP_VERSION"]) return settings["APP_VERSION"];
  const pkg = settings["WEBSITE_RUN_FROM_PACKAGE"] ?? "";
  return /-(\d+\.\d+\.\d+[\w.+-]*?)\.zip(?:\?|$)/i.exec(pkg)?.[1] ?? null;
}

/** A site, or a slot by its host name (`{site}-{slot}`), as `/_sites/{host}/…` addresses it. */
export function siteOrSlotByHost(ctx: EstateContext, host: string): ResourceRecord | undefined {
  const direct = ctx.state.siteByName(host);
  if (direct) return direct;
  const dash = host.lastIndexOf("-");
  for (let at = dash; at > 0; at = host.lastIndexOf("-", at - 1)) {
    const parent = ctx.state.siteByName(host.slice(0, at));
    const slot = parent ? ctx.state.get(`${parent.resource.id}/slots/${host.slice(at + 1)}`) : undefined;
    if (slot) return slot;
  }
  return undefined;
}

export function slotSwapRoutes(ctx: EstateContext): Route[] {
  const inFlight = new Map<string, { operationId: string; createdTime: Date }>();
  const conflicted = new Set<string>();
  const knownPackages = new Set(seededPackages);
  const swapSettings = { durationMs: 1000 };

  function target(
    request: EstateRequest,
  ): { site: ResourceRecord; slot: ResourceRecord | undefined } | Reply {
    const missingVersion = requireApiVersion(request);
    if (missingVersion) return missingVersion;
    const subscriptionId = request.params["subscriptionId"] ?? "";
    const resourceGroup = request.params["resourceGroup"] ?? "";
    const scopeError = checkScope(ctx, { subscriptionId, resourceGroup });
    if (scopeError) return scopeError;
    const siteId = `${resourceGroupId(subscriptionId, resourceGroup)}/providers/Microsoft.Web/sites/${request.params["name"] ?? ""}`;
    const found = ctx.state.get(siteId);
    if (!found) return resourceNotFound(siteId);
    const slotName = request.params["slot"];
    if (slotName === undefined || slotName.toLowerCase() === "production")
      return { site: found, slot: undefined };
    const slot = ctx.state.get(`${siteId}/slots/${slotName}`);
    if (!slot) return resourceNotFound(`${siteId}/slots/${slotName}`);
    return { site: found, slot };
  }

  const isReply = (value: unknown): value is Reply =>
    typeof value === "object" && value !== null && "status" in value && !("resource" in value);

  function conflict(siteName: string, running: { operationId: string; createdTime: Date }): Reply {
    return webProviderError(
      409,
      "Conflict",
      "04111",
      "Cannot modify this site because another operation is in progress. Details: {0}",
      [
        `Id: ${running.operationId}, OperationName: SwapSiteSlots, CreatedTime: ${running.createdTime.toISOString()}, WebSystemName: ${siteName}`,
      ],
    );
  }

  const swap = async (request: EstateRequest): Promise<Reply> => {
    const found = target(request);
    if (isReply(found)) return found;
    const parsed = swapBody.safeParse(await request.json());
    if (!parsed.success) {
      return webProviderError(400, "BadRequest", "01007", "The parameter {0} has an invalid value.", [
        "targetSlot",
      ]);
    }
    const { site: siteRecord } = found;
    const from = found.slot;
    const targetName = parsed.data.targetSlot;
    const to =
      targetName.toLowerCase() === "production"
        ? undefined
        : ctx.state.get(`${siteRecord.resource.id}/slots/${targetName}`);
    if (targetName.toLowerCase() !== "production" && !to) {
      return webProviderError(404, "NotFound", "51004", "Cannot find slot {0}.", [targetName]);
    }
    if ((from?.resource.id ?? siteRecord.resource.id) === (to?.resource.id ?? siteRecord.resource.id)) {
      return webProviderError(400, "BadRequest", "04031", "Cannot swap slot {0} with itself.", [targetName]);
    }
    const key = idKey(siteRecord.resource.id);
    const running = inFlight.get(key);
    if (running) return conflict(siteRecord.resource.name, running);
    if (ctx.scenario() === "swap-conflict" && !conflicted.has(key)) {
      // The scenario's other operation (a deployment, say) holds the site for the first swap.
      conflicted.add(key);
      return conflict(siteRecord.resource.name, { operationId: randomUUID(), createdTime: new Date() });
    }
    const a = from ?? siteRecord;
    const b = to ?? siteRecord;
    const entry = { operationId: randomUUID(), createdTime: new Date() };
    inFlight.set(key, entry);
    const reply = ctx.operations.start(
      {
        subscriptionId: request.params["subscriptionId"] ?? "",
        namespace: "Microsoft.Web",
        location: siteRecord.resource.location.replace(/\s+/g, "").toLowerCase(),
        durationMs: swapSettings.durationMs,
        apply: () => {
          inFlight.delete(key);
          const sticky = new Set(siteRecord.slotSettingNames ?? []);
          const aSettings = { ...a.appSettings };
          const bSettings = { ...b.appSettings };
          const moved = (own: Record<string, string>, other: Record<string, string>) => {
            const next: Record<string, string> = {};
            for (const [k, v] of Object.entries(own)) if (sticky.has(k)) next[k] = v;
            for (const [k, v] of Object.entries(other)) if (!sticky.has(k)) next[k] = v;
            return next;
          };
          a.appSettings = moved(aSettings, bSettings);
          b.appSettings = moved(bSettings, aSettings);
          for (const r of [a, b]) delete r.resource.properties["targetSwapSlot"];
          ctx.log(
            `swap ${a.resource.name} ⇄ ${b.resource.name}: ${runningVersion(a)} / ${runningVersion(b)}`,
          );
        },
        // Web provider answers the finished swap with a 200 (the SDK refuses a 204).
        result: () => ({}),
      },
      request,
    );
    return reply;
  };

  const putSettings = async (request: EstateRequest): Promise<Reply> => {
    const found = target(request);
    if (isReply(found)) return found;
    const running = inFlight.get(idKey(found.site.resource.id));
    if (running) return conflict(found.site.resource.name, running);
    const parsed = settingsBody.safeParse(await request.json());
    if (!parsed.success)
      return webProviderError(400, "BadRequest", "01007", "The parameter {0} has an invalid value.", [
        "properties",
      ]);
    const record = found.slot ?? found.site;
    record.appSettings = { ...parsed.data.properties };
    return json({
      id: `${record.resource.id}/config/appsettings`,
      name: "appsettings",
      type: `${record.resource.type}/config`,
      location: record.resource.location,
      properties: { ...record.appSettings },
    });
  };

  const putSlotNames = async (request: EstateRequest): Promise<Reply> => {
    const found = target(request);
    if (isReply(found)) return found;
    const parsed = slotNamesBody.safeParse(await request.json());
    if (!parsed.success)
      return webProviderError(400, "BadRequest", "01007", "The parameter {0} has an invalid value.", [
        "properties",
      ]);
    found.site.slotSettingNames = [...(parsed.data.properties.appSettingNames ?? [])];
    return json(slotConfigNamesBody(found.site));
  };

  const resetSlotConfig = (request: EstateRequest): Reply => {
    const found = target(request);
    if (isReply(found)) return found;
    delete found.site.resource.properties["targetSwapSlot"];
    for (const slot of ctx.state.listCollection(`${found.site.resource.id}/slots`))
      delete slot.resource.properties["targetSwapSlot"];
    return { status: 200 };
  };

  return [
    {
      method: "POST",
      path: new RegExp(`${site}${slotPart}/slotsswap$`, "i"),
      access: "token",
      name: "arm.post:microsoft.web/sites/slotsswap",
      handle: swap,
    },
    {
      method: "PUT",
      path: new RegExp(`${site}${slotPart}/config/appsettings$`, "i"),
      access: "token",
      name: "arm.put:microsoft.web/sites/config/appsettings",
      handle: putSettings,
    },
    {
      method: "PUT",
      path: new RegExp(`${site}/config/slotConfigNames$`, "i"),
      access: "token",
      name: "arm.put:microsoft.web/sites/config/slotconfignames",
      handle: putSlotNames,
    },
    {
      method: "POST",
      path: new RegExp(`${site}/resetSlotConfig$`, "i"),
      access: "token",
      name: "arm.post:microsoft.web/sites/resetslotconfig",
      handle: resetSlotConfig,
    },
    {
      method: "GET",
      path: "/_sites/{host}/version",
      access: "open",
      name: "site-version",
      handle: (request) => {
        const record = siteOrSlotByHost(ctx, request.params["host"] ?? "");
        if (!record)
          return {
            status: 404,
            text: "404 Web Site not found.",
            headers: { "Content-Type": "text/plain; charset=utf-8" },
          };
        return json({ version: runningVersion(record), host: request.params["host"] });
      },
    },
    {
      method: "GET",
      path: "/_packages/{file}",
      access: "open",
      name: "package",
      handle: (request): Reply =>
        knownPackages.has(request.params["file"] ?? "")
          ? {
              status: 200,
              text: "PK",
              headers: { "Content-Type": "application/zip" },
            }
          : {
              status: 404,
              text: "BlobNotFound",
              headers: { "x-ms-error-code": "BlobNotFound" },
            },
    },
    {
      method: "POST",
      path: "/_estate/swaps",
      access: "admin",
      name: "admin-swaps",
      handle: async (request) => {
        const body = z
          .object({
            durationMs: z.number().int().min(0).max(600_000).optional(),
            removePackage: z.string().optional(),
          })
          .safeParse(await request.json());
        if (!body.success) return json({ error: "durationMs (ms) or removePackage (file name)" }, 400);
        if (body.data.durationMs !== undefined) swapSettings.durationMs = body.data.durationMs;
        if (body.data.removePackage) knownPackages.delete(body.data.removePackage);
        return json({ durationMs: swapSettings.durationMs, packages: [...knownPackages] });
      },
    },
  ];
}

/** `config/slotConfigNames` as the Web provider answers it. */
export function slotConfigNamesBody(record: ResourceRecord): unknown {
  return {
    id: `${record.resource.id}/config/slotConfigNames`,
    name: record.resource.name,
    type: "Microsoft.Web/sites",
    location: record.resource.location,
    properties: {
      connectionStringNames: null,
      appSettingNames:
        record.slotSettingNames && record.slotSettingNames.length > 0 ? [...record.slotSettingNames] : null,
      azureStorageConfigNames: null,
    },
  };
}

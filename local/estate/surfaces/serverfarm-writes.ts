import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { EstateContext } from "../context.ts";
import { idKey, resourceGroupId } from "../model/ids.ts";
import type { DerivedSku } from "../model/plan-skus.ts";
import { deriveSku, isSharedTier, planSku } from "../model/plan-skus.ts";
import { appServicePlan } from "../model/resource-shapes.ts";
import type { ArmResource, ResourceRecord } from "../model/state.ts";
import { azureError } from "../server/replies.ts";
import type { EstateRequest, Reply, Route } from "../server/router.ts";
import { checkScope, requireApiVersion } from "./arm-resources.ts";

/**
 * Writes of App Service plans (Microsoft.Web/serverfarms), the Resource Manager side of emergency
 * scaling: PUT (AppServicePlans_CreateOrUpdate, what az appservice plan update and the SDK's
 * beginCreateOrUpdate send) and PATCH (AppServicePlans_Update, whose body has no sku, so it changes
 * tags, kind and a few properties only). Both are validated up front (400 as the Web provider words
 * it), then run as long-running operations: 202 with Azure-AsyncOperation/Location, the new SKU and
 * instance count visible in every read of the plan once the operation has succeeded. A second write
 * while one is in flight is refused with the Web provider's 409.
 */

/** The Web provider's own error body: PascalCase, at the top level, with its ErrorEntity detail. */
export function webProviderError(
  status: number,
  code: string,
  extendedCode: string,
  template: string,
  parameters: string[],
): Reply {
  const message = parameters.reduce((text, p, i) => text.replace(`{${i}}`, p), template);
  return {
    status,
    headers: { "x-ms-error-code": code },
    body: {
      Code: code,
      Message: message,
      Target: null,
      Details: [
        { Message: message },
        { Code: code },
        {
          ErrorEntity: {
            ExtendedCode: extendedCode,
            MessageTemplate: template,
            Parameters: parameters,
            Code: code,
            Message: message,
          },
        },
      ],
      Innererror: null,
    },
  };
}

function invalidParameter(parameter: string): Reply {
  return webProviderError(400, "BadRequest", "01007", "The parameter {0} has an invalid value.", [parameter]);
}

/** What ARM answers for a body that is JSON but not the resource's shape. */
function invalidContent(detail: string): Reply {
  return azureError(
    400,
    "InvalidRequestContent",
    `The request content was invalid and could not be deserialized: '${detail}'.`,
  );
}

const skuBody = z
  .object({
    name: z.string().min(1).optional(),
    tier: z.string().optional(),
    size: z.string().optional(),
    family: z.string().optional(),
    capacity: z.number().int().optional(),
  })
  .passthrough();

const planBody = z
  .object({
    location: z.string().optional(),
    kind: z.string().optional(),
    tags: z.record(z.string(), z.string()).optional(),
    sku: skuBody.optional(),
    properties: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();

type PlanBody = z.infer<typeof planBody>;

/** Writable properties the estate honours; the rest of a PUT's properties are read-only or ignored. */
const writableProperties = ["perSiteScaling", "elasticScaleEnabled", "maximumElasticWorkerCount"] as const;

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join(".") || "body"}: ${issue.message}` : "invalid body";
}

/** `West Europe` → `westeurope`. */
function shortRegion(location: string): string {
  return location.replace(/\s+/g, "").toLowerCase();
}

interface InFlight {
  operationId: string;
  operationName: "Create" | "Update";
  createdTime: Date;
  requestId: string;
}

/** `5/29/2021 12:00:00 PM`: how the Web provider prints times in its messages. */
function webProviderTime(date: Date): string {
  const hours = date.getUTCHours() % 12 || 12;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getUTCMonth() + 1}/${date.getUTCDate()}/${date.getUTCFullYear()} ${hours}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} ${date.getUTCHours() < 12 ? "AM" : "PM"}`;
}

function operationInProgress(inFlight: InFlight): Reply {
  return webProviderError(
    409,
    "Conflict",
    "59205",
    "Cannot modify this web hosting plan because another operation is in progress. Details: {0}",
    [
      `Id: ${inFlight.operationId}, OperationName: ${inFlight.operationName}, CreatedTime: ${webProviderTime(inFlight.createdTime)}, RequestId: ${inFlight.requestId}, EntityType: 9`,
    ],
  );
}

/** The plan as it will be once the write has applied; computed up front so a bad request is a 400. */
interface PlannedChange {
  sku: DerivedSku;
  capacity: number;
  apply(resource: ArmResource): void;
}

function planChange(
  method: "PUT" | "PATCH",
  current: ArmResource | undefined,
  body: PlanBody,
): PlannedChange | Reply {
  const currentSku = current?.sku ?? {};
  // PATCH's body (AppServicePlanPatchResource) has no sku: only PUT changes it.
  const requestedName = method === "PUT" ? body.sku?.name : undefined;
  const skuName = requestedName ?? (typeof currentSku["name"] === "string" ? currentSku["name"] : undefined);
  if (skuName === undefined) return invalidParameter("SKU.Name");
  const sku = deriveSku(skuName);
  if (!sku) return invalidParameter("SKU.Name");
  const currentCapacity = typeof currentSku["capacity"] === "number" ? currentSku["capacity"] : 1;
  let capacity = method === "PUT" ? (body.sku?.capacity ?? currentCapacity) : currentCapacity;
  if (isSharedTier(sku.tier)) capacity = 0;
  else if (capacity < 1) capacity = 1;
  if (capacity > sku.maximumWorkers) return invalidParameter("Sku.Capacity");
  return {
    sku,
    capacity,
    apply(resource) {
      resource.sku = { ...planSku(sku, capacity) };
      resource.properties["numberOfWorkers"] = capacity;
      resource.properties["maximumNumberOfWorkers"] = sku.maximumWorkers;
      if (body.kind !== undefined) resource.kind = body.kind;
      if (body.tags !== undefined) resource.tags = { ...body.tags };
      else if (method === "PUT") delete resource.tags;
      for (const name of writableProperties) {
        const value = body.properties?.[name];
        if (value !== undefined) resource.properties[name] = value;
      }
    },
  };
}

export function serverfarmWriteRoutes(ctx: EstateContext): Route[] {
  const inFlight = new Map<string, InFlight>();

  const write =
    (method: "PUT" | "PATCH") =>
    async (request: EstateRequest): Promise<Reply> => {
      const missingVersion = requireApiVersion(request);
      if (missingVersion) return missingVersion;
      const subscriptionId = request.params["subscriptionId"] ?? "";
      const resourceGroup = request.params["resourceGroup"] ?? "";
      const name = request.params["name"] ?? "";
      const scopeError = checkScope(ctx, { subscriptionId, resourceGroup });
      if (scopeError) return scopeError;
      const raw = await request.json();
      if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
        return invalidContent("the body must be a JSON object");
      }
      const parsed = planBody.safeParse(raw);
      if (!parsed.success) return invalidContent(describeIssue(parsed.error));
      const body = parsed.data;

      const id = `${resourceGroupId(subscriptionId, resourceGroup)}/providers/Microsoft.Web/serverfarms/${name}`;
      const existing = ctx.state.get(id);
      if (!existing && method === "PATCH") {
        return azureError(
          404,
          "ResourceNotFound",
          `The Resource 'Microsoft.Web/serverfarms/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
        );
      }
      if (!existing && body.location === undefined) {
        return azureError(400, "LocationRequired", "The location property is required for this definition.");
      }
      const running = inFlight.get(idKey(id));
      if (running) return operationInProgress(running);

      const change = planChange(method, existing?.resource, body);
      if ("status" in change) return change;

      const group = ctx.state.resourceGroup(subscriptionId, resourceGroup);
      const record: ResourceRecord = existing ?? {
        resource: appServicePlan({
          subscriptionId,
          resourceGroup: group?.name ?? resourceGroup,
          name,
          region: shortRegion(body.location ?? ""),
          sku: planSku(change.sku, change.capacity),
          numberOfSites: 0,
        }),
        ...(group?.environment ? { environment: group.environment } : {}),
        signals: { kind: "plan", scenarioTarget: false },
      };
      const region = shortRegion(record.resource.location);
      const key = idKey(id);
      const entry: InFlight = {
        operationId: randomUUID(),
        operationName: existing ? "Update" : "Create",
        createdTime: new Date(),
        requestId: randomUUID(),
      };
      inFlight.set(key, entry);
      const reply = ctx.operations.start(
        {
          subscriptionId,
          namespace: "Microsoft.Web",
          location: region,
          apply: () => {
            inFlight.delete(key);
            change.apply(record.resource);
            if (!existing) ctx.state.put(record);
          },
          result: () => ctx.state.get(id)?.resource,
        },
        request,
      );
      // The 202 carries the plan as it is until the operation completes, as in the official example.
      reply.body = structuredClone(existing?.resource ?? record.resource);
      // The conflict message names the operation the client is polling.
      const operationId = /\/operations\/([^/?]+)/.exec(reply.headers?.["Azure-AsyncOperation"] ?? "")?.[1];
      if (operationId) entry.operationId = operationId;
      ctx.log(
        `${method} serverfarm ${name}: ${change.sku.name} × ${change.capacity} (operation ${entry.operationId})`,
      );
      return reply;
    };

  const path =
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.Web/serverfarms/{name}";
  return [
    {
      method: "PUT",
      path,
      access: "token",
      name: "arm.put:microsoft.web/serverfarms",
      handle: write("PUT"),
    },
    {
      method: "PATCH",
      path,
      access: "token",
      name: "arm.patch:microsoft.web/serverfarms",
      handle: write("PATCH"),
    },
  ];
}

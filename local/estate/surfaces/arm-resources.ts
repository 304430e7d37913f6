import type { EstateContext } from "../context.ts";
import { parentResourceId, parseResourceId, qualifiedName } from "../model/ids.ts";
import type { ArmResource, ResourceGroupRecord } from "../model/state.ts";
import { azureError, json } from "../server/replies.ts";
import type { EstateRequest, Reply, Route } from "../server/router.ts";

/**
 * Resource Manager reads over the state model: subscriptions, resource groups, the generic resource
 * list, and GET/list of any resource type by path (sites, slots, plans, SQL servers and databases,
 * vaults, workspaces). Lists are paged 100 at a time with nextLink/$skipToken, as the Web provider does.
 */

export const armPageSize = 100;

/** Resource Manager refuses requests without api-version; any version is served the same. */
export function requireApiVersion(request: EstateRequest): Reply | undefined {
  if (request.query.get("api-version")) return undefined;
  return azureError(
    400,
    "MissingApiVersionParameter",
    "The api-version query parameter (?api-version=) is required for all requests.",
  );
}

/** One page of a list with the link to the next, keeping the caller's api-version. */
export function page<T>(ctx: EstateContext, request: EstateRequest, items: T[]): Reply {
  const skip = Math.max(0, Number.parseInt(request.query.get("$skiptoken") ?? "0", 10) || 0);
  const value = items.slice(skip, skip + armPageSize);
  const body: { value: T[]; nextLink?: string } = { value };
  if (skip + armPageSize < items.length) {
    // Written by hand: URLSearchParams would escape the `$` that ARM's links carry literally.
    const version = encodeURIComponent(request.query.get("api-version") ?? "");
    body.nextLink = `${ctx.url}${encodeURI(request.path)}?api-version=${version}&$skipToken=${skip + armPageSize}`;
  }
  return json(body);
}

export function subscriptionNotFound(subscriptionId: string): Reply {
  return azureError(404, "SubscriptionNotFound", `The subscription '${subscriptionId}' could not be found.`);
}

export function resourceGroupNotFound(resourceGroup: string): Reply {
  return azureError(404, "ResourceGroupNotFound", `Resource group '${resourceGroup}' could not be found.`);
}

/** ARM's 404 for a resource, naming it as `Microsoft.Web/sites/x`. */
export function resourceNotFound(id: string): Reply {
  const parsed = parseResourceId(id);
  const name = parsed ? qualifiedName(parsed) : id;
  const group = parsed?.resourceGroup ?? "";
  return azureError(
    404,
    "ResourceNotFound",
    `The Resource '${name}' under resource group '${group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

function parentNotFound(parentId: string, childType: string): Reply {
  return azureError(
    404,
    "ParentResourceNotFound",
    `Failed to perform 'read' on resource(s) of type '${childType}', because the parent resource '${parentId}' could not be found.`,
  );
}

/**
 * Checks the scope of an ARM path (subscription, resource group, parent resource) and answers the 404
 * Resource Manager would give for the first thing missing; undefined when all of it exists.
 */
export function checkScope(
  ctx: EstateContext,
  scope: { subscriptionId: string; resourceGroup?: string; parentId?: string; childType?: string },
): Reply | undefined {
  if (!ctx.state.subscription(scope.subscriptionId)) return subscriptionNotFound(scope.subscriptionId);
  if (
    scope.resourceGroup !== undefined &&
    !ctx.state.resourceGroup(scope.subscriptionId, scope.resourceGroup)
  ) {
    return resourceGroupNotFound(scope.resourceGroup);
  }
  if (scope.parentId && !ctx.state.get(scope.parentId)) {
    return parentNotFound(scope.parentId, scope.childType ?? "");
  }
  return undefined;
}

/**
 * The resource types the estate serves. Resource Manager answers a type it does not know with an
 * error, never an empty list, so a surface the estate lacks shows up as an error in tests; a surface
 * that adds a type adds it here.
 */
export const servedResourceTypes = new Set(
  [
    "Microsoft.Web/sites",
    "Microsoft.Web/sites/slots",
    "Microsoft.Web/serverfarms",
    "Microsoft.Sql/servers",
    "Microsoft.Sql/servers/databases",
    "Microsoft.KeyVault/vaults",
    "Microsoft.RecoveryServices/vaults",
    "Microsoft.OperationalInsights/workspaces",
    "Microsoft.Insights/autoscalesettings",
  ].map((t) => t.toLowerCase()),
);

/** Provider namespaces registered in Azure subscriptions; any other is an invalid namespace. */
const knownNamespaces = new Set(
  [
    "Microsoft.Web",
    "Microsoft.Sql",
    "Microsoft.KeyVault",
    "Microsoft.RecoveryServices",
    "Microsoft.OperationalInsights",
    "Microsoft.Insights",
    "Microsoft.Authorization",
    "Microsoft.Security",
    "Microsoft.PolicyInsights",
    "Microsoft.Resources",
    "Microsoft.Communication",
    "Microsoft.Storage",
    "Microsoft.Compute",
    "Microsoft.Network",
    "Microsoft.ManagedIdentity",
    "Microsoft.DataProtection",
    "Microsoft.Maintenance",
    "Microsoft.AlertsManagement",
  ].map((n) => n.toLowerCase()),
);

const apiVersionPattern = /^(\d{4}-\d{2}-\d{2})(-preview|-beta|-alpha|-privatepreview)?$/i;

/**
 * Resource Manager's answer for a type path (`Microsoft.Web/sites/slots`) the estate does not serve,
 * or for an api-version no provider registers: InvalidResourceNamespace, InvalidResourceType,
 * InvalidApiVersionParameter or NoRegisteredProviderFound, as Azure words them. Undefined when served.
 */
export function checkResourceType(
  namespace: string,
  types: string[],
  apiVersion: string,
  location = "westeurope",
): Reply | undefined {
  if (!knownNamespaces.has(namespace.toLowerCase())) {
    return azureError(400, "InvalidResourceNamespace", `The resource namespace '${namespace}' is invalid.`);
  }
  const typePath = types.join("/");
  if (!servedResourceTypes.has(`${namespace}/${typePath}`.toLowerCase())) {
    return azureError(
      404,
      "InvalidResourceType",
      `The resource type '${typePath}' could not be found in the namespace '${namespace}' for api version '${apiVersion}'.`,
    );
  }
  const version = apiVersionPattern.exec(apiVersion);
  if (!version) {
    return azureError(
      400,
      "InvalidApiVersionParameter",
      `The api-version '${apiVersion}' is invalid. The supported versions are '${formatDay(new Date())}'.`,
    );
  }
  // A version dated after today cannot have been registered by any provider yet.
  if ((version[1] ?? "") > formatDay(new Date())) {
    return azureError(
      400,
      "NoRegisteredProviderFound",
      `No registered resource provider found for location '${location}' and API version '${apiVersion}' for type '${typePath}'. The supported api-versions are '2022-03-01, 2023-01-01, 2024-04-01'. The supported locations are 'westeurope, northeurope, eastus'.`,
    );
  }
  return undefined;
}

function formatDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The types of a provider path's segments (`sites/x/slots` → `sites`, `slots`). */
function typesOf(segments: string[]): string[] {
  return segments.filter((_, i) => i % 2 === 0);
}

function groupBody(group: ResourceGroupRecord): Record<string, unknown> {
  return {
    id: `/subscriptions/${group.subscriptionId}/resourceGroups/${group.name}`,
    name: group.name,
    type: "Microsoft.Resources/resourceGroups",
    location: group.location,
    tags: group.environment ? { environment: group.environment } : {},
    properties: { provisioningState: "Succeeded" },
  };
}

/** The generic resource list's items: the envelope without properties. */
function genericItem(resource: ArmResource): Record<string, unknown> {
  const { id, name, type, kind, location, sku, tags } = resource;
  return { id, name, type, ...(kind ? { kind } : {}), location, ...(sku ? { sku } : {}), tags: tags ?? {} };
}

/** `arm.get:microsoft.web/sites` or `arm.list:microsoft.sql/servers/databases`, from a provider path. */
function providerRouteName(rest: string | undefined): string {
  const segments = (rest ?? "").split("/");
  const types = [segments[0] ?? "", ...segments.slice(1).filter((_, i) => i % 2 === 0)];
  const verb = segments.length % 2 === 1 ? "get" : "list";
  return `arm.${verb}:${types.join("/").toLowerCase()}`;
}

export function armResourceRoutes(ctx: EstateContext): Route[] {
  const { state } = ctx;
  const read = { method: "GET", access: "token", armRead: true } as const;

  return [
    {
      ...read,
      path: "/subscriptions",
      name: "arm.list:subscriptions",
      handle: (request) =>
        requireApiVersion(request) ??
        json({
          value: state.listSubscriptions().map((s) => subscriptionBody(ctx, s.subscriptionId, s.displayName)),
        }),
    },
    {
      ...read,
      path: "/subscriptions/{subscriptionId}",
      name: "arm.get:subscriptions",
      handle: (request) => {
        const sub = state.subscription(request.params["subscriptionId"] ?? "");
        if (!sub) return subscriptionNotFound(request.params["subscriptionId"] ?? "");
        return requireApiVersion(request) ?? json(subscriptionBody(ctx, sub.subscriptionId, sub.displayName));
      },
    },
    {
      ...read,
      path: "/subscriptions/{subscriptionId}/resourceGroups",
      name: "arm.list:resourcegroups",
      handle: (request) => {
        const subscriptionId = request.params["subscriptionId"] ?? "";
        return (
          requireApiVersion(request) ??
          checkScope(ctx, { subscriptionId }) ??
          page(ctx, request, state.listResourceGroups(subscriptionId).map(groupBody))
        );
      },
    },
    {
      ...read,
      path: "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}",
      name: "arm.get:resourcegroups",
      handle: (request) => {
        const subscriptionId = request.params["subscriptionId"] ?? "";
        const resourceGroup = request.params["resourceGroup"] ?? "";
        const group = state.resourceGroup(subscriptionId, resourceGroup);
        return (
          requireApiVersion(request) ??
          checkScope(ctx, { subscriptionId, resourceGroup }) ??
          (group ? json(groupBody(group)) : resourceGroupNotFound(resourceGroup))
        );
      },
    },
    {
      ...read,
      path: "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/resources",
      name: "arm.list:resources",
      handle: (request) => {
        const subscriptionId = request.params["subscriptionId"] ?? "";
        const resourceGroup = request.params["resourceGroup"] ?? "";
        return (
          requireApiVersion(request) ??
          checkScope(ctx, { subscriptionId, resourceGroup }) ??
          page(
            ctx,
            request,
            state.list({ subscriptionId, resourceGroup }).map((r) => genericItem(r.resource)),
          )
        );
      },
    },
    {
      ...read,
      path: "/subscriptions/{subscriptionId}/resources",
      name: "arm.list:resources",
      handle: (request) => {
        const subscriptionId = request.params["subscriptionId"] ?? "";
        return (
          requireApiVersion(request) ??
          checkScope(ctx, { subscriptionId }) ??
          page(
            ctx,
            request,
            state.list({ subscriptionId }).map((r) => genericItem(r.resource)),
          )
        );
      },
    },
    {
      // Subscription-wide list of a top-level type, e.g. webApps.list().
      ...read,
      path: /^\/subscriptions\/(?<subscriptionId>[^/]+)\/providers\/(?<rest>[^/]+\/[^/]+)$/i,
      name: (params) => providerRouteName(params["rest"]),
      handle: (request) => {
        const subscriptionId = request.params["subscriptionId"] ?? "";
        const type = request.params["rest"] ?? "";
        const [namespace = "", typeName = ""] = type.split("/");
        return (
          requireApiVersion(request) ??
          checkScope(ctx, { subscriptionId }) ??
          checkResourceType(namespace, [typeName], request.query.get("api-version") ?? "") ??
          page(
            ctx,
            request,
            state.list({ subscriptionId, type }).map((r) => r.resource),
          )
        );
      },
    },
    {
      // Any resource or collection in a resource group. A path with a second /providers/ is an
      // extension resource (metrics, role assignments) and belongs to its own surface.
      ...read,
      path: /^\/subscriptions\/(?<subscriptionId>[^/]+)\/resourceGroups\/(?<resourceGroup>[^/]+)\/providers\/(?<rest>(?:(?!\/providers\/).)+)$/i,
      name: (params) => providerRouteName(params["rest"]),
      handle: (request) => {
        const subscriptionId = request.params["subscriptionId"] ?? "";
        const resourceGroup = request.params["resourceGroup"] ?? "";
        const segments = (request.params["rest"] ?? "").split("/");
        const missingVersion = requireApiVersion(request);
        if (missingVersion) return missingVersion;
        if (segments.length < 2) {
          return azureError(404, "NotFound", `The local estate does not serve ${request.path}.`);
        }
        const [namespace = "", ...path] = segments;
        const typeError = checkResourceType(namespace, typesOf(path), request.query.get("api-version") ?? "");
        const isCollection = segments.length % 2 === 0;
        const id = isCollection ? `${request.path}/_` : request.path;
        const parsed = parseResourceId(id);
        if (!parsed) return azureError(404, "NotFound", `The local estate does not serve ${request.path}.`);
        // Resource Manager checks the subscription, then the type, then what the path names.
        if (typeError) return checkScope(ctx, { subscriptionId }) ?? typeError;
        const scopeError = checkScope(ctx, {
          subscriptionId,
          resourceGroup,
          ...(parsed.types.length > 1
            ? { parentId: parentResourceId(id), childType: parsed.types.join("/") }
            : {}),
        });
        if (scopeError) return scopeError;
        if (isCollection) {
          const items = state.listCollection(request.path).map((r) => r.resource);
          return page(ctx, request, items);
        }
        const record = state.get(id);
        return record ? json(record.resource) : resourceNotFound(id);
      },
    },
  ];
}

function subscriptionBody(
  ctx: EstateContext,
  subscriptionId: string,
  displayName: string,
): Record<string, unknown> {
  return {
    id: `/subscriptions/${subscriptionId}`,
    authorizationSource: "RoleBased",
    managedByTenants: [],
    subscriptionId,
    tenantId: ctx.tenantId,
    displayName,
    state: "Enabled",
    subscriptionPolicies: {
      locationPlacementId: "Public_2014-09-01",
      quotaId: "PayAsYouGo_2014-09-01",
      spendingLimit: "Off",
    },
  };
}

const providerPath =
  /^\/subscriptions\/(?<subscriptionId>[^/]+)(?:\/resourceGroups\/(?<resourceGroup>[^/]+))?\/providers\/(?<rest>(?:(?!\/providers\/).)+)$/i;

/**
 * Writes and actions on Resource Manager paths no surface serves. A type the estate does not serve
 * fails as Azure fails for a type that does not exist; a served type whose write no surface handles
 * yet is 405. Mounted after every surface, so a write surface added later takes precedence.
 */
export function armWriteFallbackRoutes(ctx: EstateContext): Route[] {
  return (["PUT", "PATCH", "DELETE", "POST"] as const).map((method) => ({
    method,
    path: providerPath,
    access: "token" as const,
    name: (params: Record<string, string>) =>
      providerRouteName(params["rest"]).replace(/^arm\.\w+/, `arm.${method.toLowerCase()}`),
    handle: (request: EstateRequest): Reply => {
      const missingVersion = requireApiVersion(request);
      if (missingVersion) return missingVersion;
      const subscriptionId = request.params["subscriptionId"] ?? "";
      const [namespace = "", ...path] = (request.params["rest"] ?? "").split("/");
      return (
        checkScope(ctx, { subscriptionId }) ??
        checkResourceType(namespace, typesOf(path), request.query.get("api-version") ?? "") ??
        azureError(
          405,
          "MethodNotAllowed",
          `The local estate does not serve ${method} ${request.path} yet.`,
          {
            Allow: "GET",
          },
        )
      );
    },
  }));
}

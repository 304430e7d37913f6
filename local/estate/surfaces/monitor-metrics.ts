import type { EstateContext } from "../context.ts";
import { parentResourceId, parseResourceId } from "../model/ids.ts";
import type { ResourceRecord } from "../model/state.ts";
import { namespaceFor } from "../signals/catalog.ts";
import type { MetricInfo } from "../signals/catalog.ts";
import { datapointTimes, metricValue, resolveMetrics, windowStepMs } from "../signals/generate.ts";
import { formatInstant, formatIsoDuration } from "../signals/time.ts";
import { azureError, json } from "../server/replies.ts";
import type { EstateRequest, Reply, Route } from "../server/router.ts";
import { checkScope, requireApiVersion, resourceNotFound } from "./arm-resources.ts";
import {
  currentLevels,
  noiseSeed,
  parseAggregations,
  regionName,
  splitNames,
  unknownMetricMessage,
  windowFromTimespan,
} from "./metrics-query.ts";

/**
 * Azure Monitor through Resource Manager: Metrics_List (`{resourceId}/providers/Microsoft.Insights/metrics`)
 * and MetricDefinitions_List. Being ARM calls, they count against the read throttle.
 */

function extensionPath(kind: string): RegExp {
  return new RegExp(
    `^(?<resourceId>/subscriptions/(?<subscriptionId>[^/]+)/resourceGroups/[^/]+/providers/.+?)/providers/Microsoft\\.Insights/${kind}$`,
    "i",
  );
}

/** Finds the resource an extension call is about, or the 404 Resource Manager would give. */
function targetResource(ctx: EstateContext, request: EstateRequest): ResourceRecord | Reply {
  const id = request.params["resourceId"] ?? "";
  const parsed = parseResourceId(id);
  if (!parsed) return azureError(400, "InvalidResourceId", `'${id}' is not a valid resource id.`);
  const scopeError = checkScope(ctx, {
    subscriptionId: parsed.subscriptionId,
    resourceGroup: parsed.resourceGroup,
    ...(parsed.types.length > 1 ? { parentId: parentResourceId(id), childType: parsed.types.join("/") } : {}),
  });
  if (scopeError) return scopeError;
  return ctx.state.get(id) ?? resourceNotFound(id);
}

function isReply(value: ResourceRecord | Reply): value is Reply {
  return "status" in value;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function monitorMetricsRoutes(ctx: EstateContext): Route[] {
  return [
    {
      method: "GET",
      path: extensionPath("metrics"),
      access: "token",
      armRead: true,
      name: "metrics-list",
      handle: (request) => {
        const missingVersion = requireApiVersion(request);
        if (missingVersion) return missingVersion;
        const record = targetResource(ctx, request);
        if (isReply(record)) return record;
        const type = record.resource.type;
        const requestedNamespace = request.query.get("metricnamespace");
        if (requestedNamespace && requestedNamespace.toLowerCase() !== type.toLowerCase()) {
          return azureError(
            400,
            "BadRequest",
            `Metric namespace '${requestedNamespace}' is not valid for resource type '${type}'.`,
          );
        }
        const ns = namespaceFor(type);
        if (!ns)
          return azureError(
            400,
            "BadRequest",
            `The local estate serves no metrics for resource type '${type}'.`,
          );

        const names = splitNames(request.query.get("metricnames"));
        const resolved = names.length
          ? resolveMetrics(ns, names)
          : { metrics: ns.metrics.slice(0, 1) as MetricInfo[] };
        if (resolved.unknown)
          return azureError(400, "BadRequest", unknownMetricMessage(ns, resolved.unknown));
        const aggregation = parseAggregations(request.query.get("aggregation"));
        if (!aggregation.ok) return azureError(400, "BadRequest", aggregation.message);
        const window = windowFromTimespan(
          request.query.get("timespan"),
          request.query.get("interval"),
          new Date(),
        );
        if (!window.ok) return azureError(400, "BadRequest", window.message);

        const levels = currentLevels(ctx, record);
        const seed = noiseSeed(ctx, record);
        const metadataOnly = request.query.get("resulttype")?.toLowerCase() === "metadata";
        return json({
          cost: datapointTimes(window.value).length * resolved.metrics.length,
          timespan: `${formatInstant(window.value.start)}/${formatInstant(window.value.end)}`,
          interval: formatIsoDuration(windowStepMs(window.value)),
          value: resolved.metrics.map((metric) =>
            metricValue({
              ns,
              metric,
              resourceId: record.resource.id,
              seed,
              levels: metadataOnly ? undefined : levels,
              window: window.value,
              aggregations: aggregation.value,
            }),
          ),
          namespace: ns.namespace.toLowerCase(),
          resourceregion: regionName(record.resource.location),
        });
      },
    },
    {
      method: "GET",
      path: extensionPath("metricDefinitions"),
      access: "token",
      armRead: true,
      name: "metric-definitions",
      handle: (request) => {
        const missingVersion = requireApiVersion(request);
        if (missingVersion) return missingVersion;
        const record = targetResource(ctx, request);
        if (isReply(record)) return record;
        const ns = namespaceFor(record.resource.type);
        const metrics: MetricInfo[] = ns?.metrics ?? [];
        const grains = ["PT1M", "PT5M", "PT15M", "PT30M", "PT1H", "PT6H", "PT12H", "P1D"];
        return json({
          value: metrics.map((metric) => ({
            id: `${record.resource.id}/providers/microsoft.insights/metricdefinitions/${metric.name}`,
            resourceId: record.resource.id,
            namespace: ns?.namespace,
            name: { value: metric.name, localizedValue: metric.localizedName },
            displayDescription: metric.description,
            isDimensionRequired: false,
            unit: metric.unit,
            primaryAggregationType: capitalise(metric.primaryAggregation),
            supportedAggregationTypes: ["None", "Average", "Minimum", "Maximum", "Total", "Count"],
            metricAvailabilities: grains.map((timeGrain) => ({ timeGrain, retention: "P93D" })),
            dimensions: [],
          })),
        });
      },
    },
  ];
}

import { z } from "zod";
import type { EstateContext } from "../context.ts";
import { fullType, idKey, parseResourceId } from "../model/ids.ts";
import { namespaceFor } from "../signals/catalog.ts";
import { metricValue, resolveMetrics, windowStepMs } from "../signals/generate.ts";
import { formatIsoDuration } from "../signals/time.ts";
import { json, monitorError } from "../server/replies.ts";
import type { Route } from "../server/router.ts";
import {
  currentLevels,
  noiseSeed,
  parseAggregations,
  regionName,
  splitNames,
  unknownMetricMessage,
  windowFromBounds,
} from "./metrics-query.ts";

/**
 * The Azure Monitor metrics data plane, as @azure/monitor-query-metrics' MetricsClient.queryResources
 * calls it: `POST /subscriptions/{sub}/metrics:getBatch?metricnamespace=&metricnames=&starttime=&endtime=&interval=&aggregation=`
 * with `{"resourceids": [...]}`. It is not a Resource Manager call, so the ARM read throttle does not apply.
 *
 * A resource id that does not exist: Microsoft's documentation does not say what the service answers
 * for one id of a batch, and a whole-batch failure would hide 49 good answers. The estate answers the
 * batch with 200 and gives that resource an entry whose metrics carry `errorCode: "ResourceNotFound"`,
 * an `errorMessage` and no timeseries (Metrics_List uses the same per-metric errorCode field with HTTP
 * 200, see monitor-Metrics_List-GetMetricError.json). Callers treat such a resource as unknown.
 */

export const maxBatchResources = 50;

const batchBody = z.object({ resourceids: z.array(z.string()) });

export function metricsBatchRoutes(ctx: EstateContext): Route[] {
  return [
    {
      method: "POST",
      path: "/subscriptions/{subscriptionId}/metrics:getBatch",
      access: "token",
      name: "metrics-batch",
      handle: async (request) => {
        const subscriptionId = request.params["subscriptionId"] ?? "";
        if (!request.query.get("api-version")) {
          return monitorError(400, "BadRequest", "The api-version query parameter is required");
        }
        const namespaceParam = request.query.get("metricnamespace");
        if (!namespaceParam)
          return monitorError(400, "BadRequest", "The metricnamespace query parameter is required");
        const ns = namespaceFor(namespaceParam);
        if (!ns)
          return monitorError(
            400,
            "BadRequest",
            `Metric namespace '${namespaceParam}' is not served by the local estate`,
          );
        const names = splitNames(request.query.get("metricnames"));
        if (names.length === 0)
          return monitorError(400, "BadRequest", "The metricnames query parameter is required");
        const resolved = resolveMetrics(ns, names);
        if (resolved.unknown)
          return monitorError(400, "BadRequest", unknownMetricMessage(ns, resolved.unknown));
        const aggregation = parseAggregations(request.query.get("aggregation"));
        if (!aggregation.ok) return monitorError(400, "BadRequest", aggregation.message);
        const window = windowFromBounds(
          request.query.get("starttime"),
          request.query.get("endtime"),
          request.query.get("interval"),
          new Date(),
        );
        if (!window.ok) return monitorError(400, "BadRequest", window.message);

        const body = batchBody.safeParse(await request.json());
        if (!body.success)
          return monitorError(400, "BadRequest", 'The body must be {"resourceids": ["..."]}');
        const ids = body.data.resourceids;
        if (ids.length === 0) return monitorError(400, "BadRequest", "resourceids must not be empty");
        if (ids.length > maxBatchResources) {
          return monitorError(
            400,
            "BadRequest",
            `The batch has ${ids.length} resource ids; at most ${maxBatchResources} are allowed per request`,
          );
        }
        for (const id of ids) {
          const parsed = parseResourceId(id);
          if (!parsed) return monitorError(400, "BadRequest", `'${id}' is not a valid resource id`);
          if (idKey(parsed.subscriptionId) !== idKey(subscriptionId)) {
            return monitorError(
              400,
              "BadRequest",
              `Resource '${id}' is not in subscription '${subscriptionId}': all resources of a batch must be`,
            );
          }
          if (idKey(fullType(parsed)) !== idKey(ns.namespace)) {
            return monitorError(
              400,
              "BadRequest",
              `Resource '${id}' is not of type '${namespaceParam}': all resources of a batch must be`,
            );
          }
        }

        const interval = formatIsoDuration(windowStepMs(window.value));
        const starttime = window.value.start.toISOString();
        const endtime = window.value.end.toISOString();
        const namespace = ns.namespace.toLowerCase();
        // A batch is one region; a missing resource is reported in the region of the others.
        const known = ids.map((id) => ctx.state.get(id)).find((r) => r !== undefined);
        const batchRegion = known ? regionName(known.resource.location) : undefined;
        const values = ids.map((id) => {
          const record = ctx.state.get(id);
          if (!record) {
            return {
              starttime,
              endtime,
              interval,
              value: resolved.metrics.map((metric) => ({
                ...metricValue({
                  ns,
                  metric,
                  resourceId: id,
                  seed: "",
                  levels: undefined,
                  window: window.value,
                  aggregations: aggregation.value,
                }),
                errorCode: "ResourceNotFound",
                errorMessage: `The resource '${id}' was not found.`,
              })),
              namespace,
              ...(batchRegion ? { resourceregion: batchRegion } : {}),
              resourceid: id,
            };
          }
          const levels = currentLevels(ctx, record);
          const seed = noiseSeed(ctx, record);
          return {
            starttime,
            endtime,
            interval,
            value: resolved.metrics.map((metric) =>
              metricValue({
                ns,
                metric,
                resourceId: record.resource.id,
                seed,
                levels,
                window: window.value,
                aggregations: aggregation.value,
              }),
            ),
            namespace,
            resourceregion: regionName(record.resource.location),
            resourceid: record.resource.id,
          };
        });
        return json({ values });
      },
    },
  ];
}

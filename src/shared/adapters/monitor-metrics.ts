import type { MetricsClient, MetricsQueryResult } from "@azure/monitor-query-metrics";
import pLimit from "p-limit";
import { normalizeId } from "../azure-ids.ts";
import { fromAzureError } from "../errors.ts";
import type { CallOptions } from "../ports/call-options.ts";
import type { MetricsQuery, MetricsReader, MetricValues, ResourceMetrics } from "../ports/metrics-reader.ts";

/** metrics:getBatch takes at most 50 resources of one type per call. */
export const METRICS_BATCH_SIZE = 50;

/**
 * Azure Monitor metrics through the data-plane batch API: one call per 50 resources, a bounded number
 * of calls in flight. A batch that fails marks only its own resources as unreadable.
 */
export class MonitorMetricsReader implements MetricsReader {
  constructor(private readonly clientFor: (region: string) => MetricsClient) {}

  async query(
    query: MetricsQuery,
    options: CallOptions & { concurrency?: number } = {},
  ): Promise<Map<string, ResourceMetrics>> {
    const result = new Map<string, ResourceMetrics>();
    if (query.resourceIds.length === 0) return result;
    const client = this.clientFor(query.region);
    const limit = pLimit(options.concurrency ?? 8);
    const batches: string[][] = [];
    for (let i = 0; i < query.resourceIds.length; i += METRICS_BATCH_SIZE) {
      batches.push(query.resourceIds.slice(i, i + METRICS_BATCH_SIZE));
    }

    await Promise.all(
      batches.map((batch) =>
        limit(async () => {
          let answers: MetricsQueryResult[];
          // queryResources takes no abort signal; the pipeline's per-try timeout bounds it instead.
          try {
            answers = await client.queryResources(batch, [...query.metricNames], query.namespace, {
              startTime: query.start,
              endTime: query.end,
              interval: query.interval,
              aggregation: query.aggregations.join(","),
            });
          } catch (error) {
            const message = fromAzureError(
              error,
              `metrics of ${batch.length} ${query.namespace} resources`,
            ).message;
            for (const id of batch) result.set(id, { resourceId: id, error: message });
            return;
          }
          const byId = new Map<string, MetricsQueryResult>();
          for (const answer of answers) {
            if (answer.resourceId) byId.set(normalizeId(answer.resourceId), answer);
          }
          for (const id of batch) {
            const answer = byId.get(normalizeId(id));
            result.set(
              id,
              answer
                ? toResourceMetrics(id, answer)
                : { resourceId: id, error: "Azure Monitor returned no metrics for this resource" },
            );
          }
        }),
      ),
    );
    return result;
  }
}

/**
 * The SDK reports `name` as the metric's display name ("Http Server Errors" for Http5xx), as Azure
 * does; the metric's id ends with the name that was asked for.
 */
function metricKey(id: string, displayName: string): string {
  const last = id.split("/").pop();
  return last && last.length > 0 ? last : displayName;
}

function toResourceMetrics(resourceId: string, answer: MetricsQueryResult): ResourceMetrics {
  const metrics: MetricValues = new Map();
  const errors: string[] = [];
  for (const metric of answer.metrics) {
    if (metric.errorCode && metric.errorCode !== "Success") {
      errors.push(
        `${metric.name}: ${metric.errorCode}${metric.errorMessage ? ` (${metric.errorMessage})` : ""}`,
      );
      continue;
    }
    const points = metric.timeseries.flatMap((series) => series.data ?? []);
    metrics.set(metricKey(metric.id, metric.name), points);
  }
  return errors.length > 0 && metrics.size === 0
    ? { resourceId, error: errors.join("; ") }
    : { resourceId, metrics };
}

import type { MonitorClient } from "@azure/arm-monitor";
import { parseResourceId } from "../azure-ids.ts";
import { fromAzureError } from "../errors.ts";
import type { CallOptions } from "../ports/call-options.ts";
import type { MetricSeries, MetricSeriesQuery, MetricSeriesReader } from "../ports/metric-series-reader.ts";

/**
 * One metric of one resource through Resource Manager's Metrics_List and MetricDefinitions_List, the
 * calls `az monitor metrics list` makes (@azure/arm-monitor).
 */
export class MonitorMetricSeriesReader implements MetricSeriesReader {
  constructor(private readonly clientFor: (subscriptionId: string) => MonitorClient) {}

  async listMetricNames(resourceId: string, options: CallOptions = {}): Promise<string[]> {
    const names: string[] = [];
    try {
      for await (const definition of this.client(resourceId).metricDefinitions.list(uri(resourceId), {
        abortSignal: options.abortSignal,
      })) {
        if (definition.name?.value) names.push(definition.name.value);
      }
    } catch (error) {
      throw fromAzureError(error, resourceId);
    }
    return names;
  }

  async getSeries(query: MetricSeriesQuery, options: CallOptions = {}): Promise<MetricSeries> {
    let response;
    try {
      response = await this.client(query.resourceId).metrics.list(uri(query.resourceId), {
        metricnames: query.metricName,
        timespan: `${query.start.toISOString()}/${query.end.toISOString()}`,
        interval: query.interval,
        aggregation: query.aggregations.map((a) => a.charAt(0).toUpperCase() + a.slice(1)).join(","),
        abortSignal: options.abortSignal,
      });
    } catch (error) {
      throw fromAzureError(error, `metric ${query.metricName} of ${query.resourceId}`);
    }
    const metric = response.value[0];
    const points = (metric?.timeseries ?? []).flatMap((series) =>
      (series.data ?? []).map((p) => ({
        timeStamp: p.timeStamp.toISOString(),
        ...(p.average === undefined ? {} : { average: p.average }),
        ...(p.total === undefined ? {} : { total: p.total }),
        ...(p.maximum === undefined ? {} : { maximum: p.maximum }),
        ...(p.minimum === undefined ? {} : { minimum: p.minimum }),
        ...(p.count === undefined ? {} : { count: p.count }),
      })),
    );
    return {
      resourceId: query.resourceId,
      metricName: metric?.name.value ?? query.metricName,
      unit: metric?.unit ?? "Unspecified",
      interval: response.interval ?? query.interval,
      points,
    };
  }

  private client(resourceId: string): MonitorClient {
    return this.clientFor(parseResourceId(resourceId).subscriptionId);
  }
}

/** The SDK puts the resource id after the endpoint's slash itself. */
function uri(resourceId: string): string {
  return resourceId.replace(/^\/+/, "");
}

import type { CallOptions } from "./call-options.ts";

export type Aggregation = "average" | "total" | "maximum" | "minimum" | "count";

export const aggregations = ["average", "total", "maximum", "minimum", "count"] as const;

export interface MetricsQuery {
  /** All of one resource type; the adapter batches them (metrics:getBatch takes up to 50 per call). */
  resourceIds: readonly string[];
  namespace: string;
  metricNames: readonly string[];
  aggregations: readonly Aggregation[];
  start: Date;
  end: Date;
  /** ISO 8601 time grain, e.g. PT5M. */
  interval: string;
  /** Region of the resources: the data-plane endpoint is regional. */
  region: string;
}

export interface MetricDatapoint {
  timeStamp: Date;
  average?: number;
  total?: number;
  maximum?: number;
  minimum?: number;
  count?: number;
}

/** Per resource, per metric name, the datapoints (empty when Azure has no data). */
export type MetricValues = Map<string, MetricDatapoint[]>;

export interface ResourceMetrics {
  resourceId: string;
  metrics?: MetricValues;
  /** Set when this resource's metrics could not be read. */
  error?: string;
}

/** Azure Monitor metrics of many resources of one type at once (the data-plane batch API). */
export interface MetricsReader {
  query(
    query: MetricsQuery,
    options?: CallOptions & { concurrency?: number },
  ): Promise<Map<string, ResourceMetrics>>;
}

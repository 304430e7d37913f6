import type { CallOptions } from "./call-options.ts";
import type { Aggregation } from "./metrics-reader.ts";

export interface MetricSeriesQuery {
  resourceId: string;
  metricName: string;
  aggregations: readonly Aggregation[];
  start: Date;
  end: Date;
  /** ISO 8601 time grain, e.g. PT1H. */
  interval: string;
}

export interface MetricSeries {
  resourceId: string;
  metricName: string;
  unit: string;
  interval: string;
  points: {
    timeStamp: string;
    average?: number;
    total?: number;
    maximum?: number;
    minimum?: number;
    count?: number;
  }[];
}

/**
 * One metric of one resource over time, as `az monitor metrics list` reads it (Resource Manager's
 * Metrics_List); also lists the metrics a resource has, so an unknown name can be answered with them.
 */
export interface MetricSeriesReader {
  listMetricNames(resourceId: string, options?: CallOptions): Promise<string[]>;
  getSeries(query: MetricSeriesQuery, options?: CallOptions): Promise<MetricSeries>;
}

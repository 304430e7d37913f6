import type { DatabaseLevels, PlanLevels, SiteLevels } from "./levels.ts";

/**
 * The Azure Monitor platform metrics the estate serves, by namespace. Names, units, primary
 * aggregations and localized names follow the real metric definitions (see
 * monitor-MetricDefinitions_List-GetMetricDefinitions.json). Note that the SDK reports a metric's
 * `name` as its localizedValue ("Http Server Errors" for Http5xx), exactly as against Azure.
 */

export const aggregations = ["average", "minimum", "maximum", "total", "count"] as const;
export type Aggregation = (typeof aggregations)[number];

/** One datapoint's aggregates over an interval. */
export type Aggregates = Record<Aggregation, number>;

export interface SampleInput<L> {
  levels: L;
  /** Length of the datapoint's interval. */
  minutes: number;
  /** Seeded noise in [-1, 1) for a salt, fixed per (scenario, resource, timestamp, salt). */
  noise: (salt: string) => number;
}

export interface MetricDefinition<L> {
  name: string;
  localizedName: string;
  unit: "Count" | "Seconds" | "Percent" | "Bytes" | "MilliSeconds";
  primaryAggregation: Aggregation;
  description: string;
  sample: (input: SampleInput<L>) => Aggregates;
}

interface Namespace<F extends string, L> {
  family: F;
  /** Canonical namespace, which is also the resource type. */
  namespace: string;
  metrics: MetricDefinition<L>[];
}

export type MetricNamespace =
  Namespace<"site", SiteLevels> | Namespace<"database", DatabaseLevels> | Namespace<"plan", PlanLevels>;

/** Values vary by ±8% between datapoints: visible, but never enough to cross a threshold by itself. */
const spread = 0.08;

function vary(value: number, noise: number): number {
  return value * (1 + spread * noise);
}

/** A gauge sampled once a minute: average, with a small min/max band. */
function gauge(average: number, minutes: number, ceiling = Infinity): Aggregates {
  const avg = Math.min(ceiling, average);
  return {
    average: avg,
    minimum: Math.min(ceiling, avg * 0.92),
    maximum: Math.min(ceiling, avg * 1.04 + 0.5),
    total: avg * minutes,
    count: minutes,
  };
}

/** A counter: the total over the interval, reported per minute as its average. */
function counter(total: number, minutes: number): Aggregates {
  const rounded = Math.max(0, Math.round(total));
  const perMinute = rounded / minutes;
  return {
    total: rounded,
    average: perMinute,
    minimum: Math.floor(perMinute * 0.7),
    maximum: Math.ceil(perMinute * 1.3),
    count: minutes,
  };
}

function requests({ levels, minutes, noise }: SampleInput<SiteLevels>): number {
  return Math.round(vary(levels.requestsPerMinute * minutes, noise("requests")));
}

function errors(input: SampleInput<SiteLevels>): number {
  return Math.round(vary(requests(input) * input.levels.errorRate, input.noise("errors")));
}

function responseTime(input: SampleInput<SiteLevels>): Aggregates {
  const avg = vary(input.levels.responseTimeSeconds, input.noise("latency"));
  const count = requests(input);
  return { average: avg, minimum: avg * 0.35, maximum: avg * 3.2, total: avg * count, count };
}

const siteMetrics: MetricDefinition<SiteLevels>[] = [
  {
    name: "Requests",
    localizedName: "Requests",
    unit: "Count",
    primaryAggregation: "total",
    description: "The total number of requests regardless of their resulting HTTP status code.",
    sample: (input) => counter(requests(input), input.minutes),
  },
  {
    name: "Http5xx",
    localizedName: "Http Server Errors",
    unit: "Count",
    primaryAggregation: "total",
    description: "The count of requests resulting in an HTTP status code >= 500 but < 600.",
    sample: (input) => counter(errors(input), input.minutes),
  },
  {
    name: "Http2xx",
    localizedName: "Http 2xx",
    unit: "Count",
    primaryAggregation: "total",
    description: "The count of requests resulting in an HTTP status code >= 200 but < 300.",
    sample: (input) => counter(requests(input) - errors(input), input.minutes),
  },
  {
    name: "Http4xx",
    localizedName: "Http 4xx",
    unit: "Count",
    primaryAggregation: "total",
    description: "The count of requests resulting in an HTTP status code >= 400 but < 500.",
    sample: (input) => counter(requests(input) * 0.004, input.minutes),
  },
  {
    name: "HttpResponseTime",
    localizedName: "Response Time",
    unit: "Seconds",
    primaryAggregation: "average",
    description: "The time taken for the app to serve requests, in seconds.",
    sample: responseTime,
  },
  {
    name: "AverageResponseTime",
    localizedName: "Average Response Time (deprecated)",
    unit: "Seconds",
    primaryAggregation: "average",
    description: "The average time taken for the app to serve requests, in seconds.",
    sample: responseTime,
  },
  {
    name: "CpuTime",
    localizedName: "CPU Time",
    unit: "Seconds",
    primaryAggregation: "total",
    description: "The amount of CPU consumed by the app, in seconds.",
    sample: ({ levels, minutes, noise }) => {
      const total = vary(levels.cpuSecondsPerMinute * minutes, noise("cpu"));
      return {
        total,
        average: total / minutes,
        minimum: 0,
        maximum: (total / minutes) * 1.5,
        count: minutes,
      };
    },
  },
  {
    name: "MemoryWorkingSet",
    localizedName: "Memory working set",
    unit: "Bytes",
    primaryAggregation: "average",
    description: "The current amount of memory used by the app, in bytes.",
    sample: ({ levels, minutes, noise }) =>
      gauge(vary(levels.memoryWorkingSetBytes, noise("memory")), minutes),
  },
];

const databaseMetrics: MetricDefinition<DatabaseLevels>[] = [
  {
    name: "cpu_percent",
    localizedName: "CPU percentage",
    unit: "Percent",
    primaryAggregation: "average",
    description: "CPU percentage",
    sample: ({ levels, minutes, noise }) => gauge(vary(levels.cpuPercent, noise("cpu")), minutes, 100),
  },
  {
    name: "sessions_percent",
    localizedName: "Sessions percentage",
    unit: "Percent",
    primaryAggregation: "average",
    description: "Sessions percentage",
    sample: ({ levels, minutes, noise }) =>
      gauge(vary(levels.sessionsPercent, noise("sessions") / 4), minutes, 100),
  },
  {
    name: "workers_percent",
    localizedName: "Workers percentage",
    unit: "Percent",
    primaryAggregation: "average",
    description: "Workers percentage",
    sample: ({ levels, minutes, noise }) =>
      gauge(vary(levels.workersPercent, noise("workers") / 4), minutes, 100),
  },
  {
    name: "connection_failed",
    localizedName: "Failed Connections : System Errors",
    unit: "Count",
    primaryAggregation: "total",
    description: "Failed Connections",
    sample: ({ levels, minutes, noise }) =>
      counter(vary((levels.connectionFailedPer5Min * minutes) / 5, noise("failed")), minutes),
  },
  {
    name: "deadlock",
    localizedName: "Deadlocks",
    unit: "Count",
    primaryAggregation: "total",
    description: "Deadlocks",
    sample: ({ levels, minutes, noise }) =>
      counter(vary((levels.deadlocksPer5Min * minutes) / 5, noise("deadlock")), minutes),
  },
];

const planMetrics: MetricDefinition<PlanLevels>[] = [
  {
    name: "CpuPercentage",
    localizedName: "CPU Percentage",
    unit: "Percent",
    primaryAggregation: "average",
    description: "The average CPU used across all instances of the plan.",
    sample: ({ levels, minutes, noise }) => gauge(vary(levels.cpuPercent, noise("cpu")), minutes, 100),
  },
  {
    name: "MemoryPercentage",
    localizedName: "Memory Percentage",
    unit: "Percent",
    primaryAggregation: "average",
    description: "The average memory used across all instances of the plan.",
    sample: ({ levels, minutes, noise }) => gauge(vary(levels.memoryPercent, noise("memory")), minutes, 100),
  },
];

export const metricNamespaces: MetricNamespace[] = [
  { family: "site", namespace: "Microsoft.Web/sites", metrics: siteMetrics },
  { family: "database", namespace: "Microsoft.Sql/servers/databases", metrics: databaseMetrics },
  { family: "plan", namespace: "Microsoft.Web/serverfarms", metrics: planMetrics },
];

export function namespaceFor(typeOrNamespace: string): MetricNamespace | undefined {
  const wanted = typeOrNamespace.toLowerCase();
  return metricNamespaces.find((ns) => ns.namespace.toLowerCase() === wanted);
}

/** The catalog entry of a metric, without the sampler (for definitions and error messages). */
export interface MetricInfo {
  name: string;
  localizedName: string;
  unit: string;
  primaryAggregation: Aggregation;
  description: string;
}

export function findMetric(ns: MetricNamespace, name: string): MetricInfo | undefined {
  const wanted = name.toLowerCase();
  const metrics: MetricInfo[] = ns.metrics;
  return metrics.find((m) => m.name.toLowerCase() === wanted);
}

export function metricNames(ns: MetricNamespace): string[] {
  const metrics: MetricInfo[] = ns.metrics;
  return metrics.map((m) => m.name);
}

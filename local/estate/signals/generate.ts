import type { Aggregates, Aggregation, MetricInfo, MetricNamespace } from "./catalog.ts";
import { findMetric } from "./catalog.ts";
import type { ComponentLevels } from "./levels.ts";
import { signedNoise } from "./random.ts";
import { floorTo, formatInstant } from "./time.ts";

/**
 * Turns a component's levels into Azure Monitor metric values (the `value[]` items of Metrics_List and
 * metrics:getBatch): one datapoint per interval across the requested window.
 */

export interface MetricWindow {
  start: Date;
  end: Date;
  /** Interval length; "full" is one datapoint covering the whole window (interval=FULL). */
  step: number | "full";
}

/** The most datapoints one metric may return; beyond it the request is refused, as Azure Monitor does. */
export const maxDatapoints = 20_000;

export function datapointTimes(window: MetricWindow): number[] {
  if (window.step === "full") return [window.start.getTime()];
  const times: number[] = [];
  for (let t = floorTo(window.start.getTime(), window.step); t < window.end.getTime(); t += window.step) {
    times.push(t);
    if (times.length > maxDatapoints) break;
  }
  return times;
}

export function windowStepMs(window: MetricWindow): number {
  return window.step === "full" ? window.end.getTime() - window.start.getTime() : window.step;
}

function sampleMetric(
  ns: MetricNamespace,
  metricName: string,
  levels: ComponentLevels,
  minutes: number,
  noise: (salt: string) => number,
): Aggregates | undefined {
  const wanted = metricName.toLowerCase();
  // Each branch narrows the namespace and the levels together, so a sampler only sees its own levels.
  switch (ns.family) {
    case "site":
      return levels.family === "site"
        ? ns.metrics.find((m) => m.name.toLowerCase() === wanted)?.sample({ levels, minutes, noise })
        : undefined;
    case "database":
      return levels.family === "database"
        ? ns.metrics.find((m) => m.name.toLowerCase() === wanted)?.sample({ levels, minutes, noise })
        : undefined;
    case "plan":
      return levels.family === "plan"
        ? ns.metrics.find((m) => m.name.toLowerCase() === wanted)?.sample({ levels, minutes, noise })
        : undefined;
  }
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

export interface MetricValueInput {
  ns: MetricNamespace;
  metric: MetricInfo;
  resourceId: string;
  /** Seed for the noise: the same seed gives the same values. */
  seed: string;
  /** Undefined when the resource has no data (a metrics outage, or nothing emits for it). */
  levels: ComponentLevels | undefined;
  window: MetricWindow;
  aggregations: Aggregation[] | undefined;
}

/** One item of a metrics response's `value[]`, shaped as in monitor-Metrics_List-GetMetric.json. */
export function metricValue(input: MetricValueInput): Record<string, unknown> {
  const { metric, resourceId, window } = input;
  const aggregations = input.aggregations?.length ? input.aggregations : [metric.primaryAggregation];
  const minutes = Math.max(1, Math.round(windowStepMs(window) / 60_000));
  const levels = input.levels;
  const timeseries =
    levels === undefined
      ? []
      : [
          {
            metadatavalues: [],
            data: datapointTimes(window).map((time) => {
              const timeStamp = formatInstant(new Date(time));
              const noise = (salt: string) =>
                signedNoise(`${input.seed}|${resourceId.toLowerCase()}|${timeStamp}|${salt}`);
              const values = sampleMetric(input.ns, metric.name, levels, minutes, noise);
              const point: Record<string, unknown> = { timeStamp };
              if (values)
                for (const aggregation of aggregations) point[aggregation] = round(values[aggregation]);
              return point;
            }),
          },
        ];
  return {
    id: `${resourceId}/providers/Microsoft.Insights/metrics/${metric.name}`,
    type: "Microsoft.Insights/metrics",
    name: { value: metric.name, localizedValue: metric.localizedName },
    displayDescription: metric.description,
    unit: metric.unit,
    timeseries,
    errorCode: "Success",
  };
}

/** Resolves requested metric names against a namespace; returns the unknown ones as an error. */
export function resolveMetrics(
  ns: MetricNamespace,
  names: string[],
): { metrics: MetricInfo[]; unknown?: undefined } | { unknown: string[]; metrics?: undefined } {
  const metrics: MetricInfo[] = [];
  const unknown: string[] = [];
  for (const name of names) {
    const metric = findMetric(ns, name);
    if (metric) metrics.push(metric);
    else unknown.push(name);
  }
  return unknown.length ? { unknown } : { metrics };
}

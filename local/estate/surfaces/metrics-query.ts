import type { EstateContext } from "../context.ts";
import type { ResourceRecord } from "../model/state.ts";
import { levelsOf, metricsMissing } from "../scenarios.ts";
import type { Aggregation, MetricNamespace } from "../signals/catalog.ts";
import { aggregations, metricNames } from "../signals/catalog.ts";
import type { ComponentLevels } from "../signals/levels.ts";
import type { MetricWindow } from "../signals/generate.ts";
import { datapointTimes, maxDatapoints } from "../signals/generate.ts";
import { floorTo, parseInstant, parseIsoDuration, parseTimespan } from "../signals/time.ts";

/** Query parameters shared by Metrics_List and metrics:getBatch. */

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const defaultIntervalMs = 60_000;
const defaultSpanMs = 3_600_000;

function parseInterval(text: string | undefined): Parsed<number | "full"> {
  if (text === undefined || text === "") return { ok: true, value: defaultIntervalMs };
  if (text.toUpperCase() === "FULL") return { ok: true, value: "full" };
  const ms = parseIsoDuration(text);
  if (!ms || ms % 60_000 !== 0)
    return {
      ok: false,
      message: `Invalid interval '${text}': use an ISO 8601 duration of whole minutes, or FULL`,
    };
  return { ok: true, value: ms };
}

function checkWindow(window: MetricWindow): Parsed<MetricWindow> {
  if (datapointTimes(window).length > maxDatapoints) {
    return {
      ok: false,
      message: `The requested timespan and interval produce more than ${maxDatapoints} datapoints`,
    };
  }
  return { ok: true, value: window };
}

/** The last hour, ending at the current minute, when no time range is given. */
function defaultSpan(now: Date): { start: Date; end: Date } {
  const end = new Date(floorTo(now.getTime(), 60_000));
  return { start: new Date(end.getTime() - defaultSpanMs), end };
}

/**
 * az URL-encodes the timespan and its SDK encodes the query again, so Azure Monitor receives
 * `2026-12-01T10%253A00%253A00Z%252F...`. Azure accepts that, so the estate decodes what is still
 * escaped after the query has been decoded once.
 */
function decodeOnceMore(text: string): string {
  if (!/%[0-9a-f]{2}/i.test(text)) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Metrics_List: `timespan=start/end` plus `interval`. */
export function windowFromTimespan(
  timespan: string | undefined,
  interval: string | undefined,
  now: Date,
): Parsed<MetricWindow> {
  const step = parseInterval(interval);
  if (!step.ok) return step;
  const span = timespan ? parseTimespan(decodeOnceMore(timespan), now) : defaultSpan(now);
  if (!span) return { ok: false, message: `Invalid timespan '${timespan ?? ""}'` };
  return checkWindow({ ...span, step: step.value });
}

/** metrics:getBatch: `starttime`, `endtime` plus `interval`. */
export function windowFromBounds(
  starttime: string | undefined,
  endtime: string | undefined,
  interval: string | undefined,
  now: Date,
): Parsed<MetricWindow> {
  const step = parseInterval(interval);
  if (!step.ok) return step;
  const fallback = defaultSpan(now);
  const instant = (text: string) => parseInstant(text) ?? new Date(Number.NaN);
  const start = starttime
    ? instant(starttime)
    : endtime
      ? new Date(instant(endtime).getTime() - defaultSpanMs)
      : fallback.start;
  const end = endtime ? instant(endtime) : starttime ? now : fallback.end;
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end <= start) {
    return {
      ok: false,
      message: `Invalid time range starttime='${starttime ?? ""}' endtime='${endtime ?? ""}'`,
    };
  }
  return checkWindow({ start, end, step: step.value });
}

export function parseAggregations(text: string | undefined): Parsed<Aggregation[] | undefined> {
  if (!text) return { ok: true, value: undefined };
  const wanted: Aggregation[] = [];
  for (const raw of text.split(",")) {
    const name = raw.trim().toLowerCase();
    if (name === "" || name === "none") continue;
    const match = aggregations.find((a) => a === name);
    if (!match)
      return {
        ok: false,
        message: `Invalid aggregation '${raw.trim()}': use Average, Minimum, Maximum, Total or Count`,
      };
    if (!wanted.includes(match)) wanted.push(match);
  }
  return { ok: true, value: wanted };
}

export function splitNames(text: string | undefined): string[] {
  return (text ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** The message Azure Monitor gives for a metric name the resource type does not have. */
export function unknownMetricMessage(ns: MetricNamespace, unknown: string[]): string {
  const [provider = "", ...type] = ns.namespace.split("/");
  return `Failed to find metric configuration for provider: ${provider}, resource Type: ${type.join("/")}, metric: ${unknown.join(",")}, Valid metrics: ${metricNames(ns).join(",")}`;
}

/** The levels a resource's metrics come from now; undefined when no data flows (outage, no emitter). */
export function currentLevels(ctx: EstateContext, record: ResourceRecord): ComponentLevels | undefined {
  const scenario = ctx.scenario();
  if (metricsMissing(scenario) || !record.signals) return undefined;
  return levelsOf(scenario, record);
}

/** Seed for a resource's noise: targeted resources change with the scenario, bench ones do not. */
export function noiseSeed(ctx: EstateContext, record: ResourceRecord): string {
  return record.signals?.scenarioTarget ? ctx.scenario() : "baseline";
}

/** `West Europe` → `westeurope`, the form Azure Monitor reports resourceregion in. */
export function regionName(location: string): string {
  return location.replace(/\s+/g, "").toLowerCase();
}

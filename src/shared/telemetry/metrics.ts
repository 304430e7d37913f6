import { type Counter, metrics } from "@opentelemetry/api";
import type { LogLevel } from "../log.ts";

/**
 * The custom metrics operators watch, counted from the app's own log events (one fact, logged once, is
 * also the metric): each entry names the event's log message, the metric and the attributes read from
 * the event's metadata. A procedure that logs one of these messages is counted with no more code; a new
 * metric is a line here.
 */
const events: readonly {
  message: string;
  metric: string;
  description: string;
  attributes: readonly string[];
}[] = [
  {
    message: "health check finished",
    metric: "phoenix.health_checks",
    description: "Health check runs, by overall status",
    attributes: ["environment", "overall", "trigger"],
  },
  {
    message: "alert received",
    metric: "phoenix.alerts_received",
    description: "Alerts received from action groups",
    attributes: ["rule", "monitorCondition"],
  },
  {
    message: "incident opened",
    metric: "phoenix.incidents_opened",
    description: "Incidents opened",
    attributes: ["severity", "environment"],
  },
  {
    message: "change finished",
    metric: "phoenix.changes",
    description: "Changes through change control, by result",
    attributes: ["kind", "outcome", "status"],
  },
  {
    message: "credential rotated",
    metric: "phoenix.rotations",
    description: "Credential rotations",
    attributes: ["outcome"],
  },
  {
    message: "backup verification finished",
    metric: "phoenix.backup_verifications",
    description: "Backup verification runs, by status (freshness against the schedule)",
    attributes: ["environment", "status", "overall"],
  },
];

export function metricEventNames(): string[] {
  return events.map((e) => e.metric);
}

/** A log observer that counts the events above on the global meter (a no-op until a provider is set). */
export function countLogEvents(): (level: LogLevel, message: string, meta: Record<string, unknown>) => void {
  const meter = metrics.getMeter("phoenix-ops");
  const counters = new Map<string, { counter: Counter; attributes: readonly string[] }>();
  for (const e of events) {
    counters.set(e.message, {
      counter: meter.createCounter(e.metric, { description: e.description }),
      attributes: e.attributes,
    });
  }
  return (_level, message, meta) => {
    const entry = counters.get(message);
    if (!entry) return;
    const attributes: Record<string, string> = {};
    for (const name of entry.attributes) {
      const value = meta[name];
      if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
        attributes[name] = String(value);
    }
    entry.counter.add(1, attributes);
  };
}

import type { ComponentPolicy, Thresholds, Threshold } from "../../config/policy.ts";
import type { Status } from "../../procedures/status.ts";
import type { ProbeResult } from "../../ports/health-probe.ts";
import type { MetricDatapoint, ResourceMetrics } from "../../ports/metrics-reader.ts";
import type { ResourceState } from "../../ports/resource-inventory.ts";
import type { SignalResult } from "./report.ts";

/** The metrics each kind of component is judged on, as Azure Monitor names them. */
export const siteMetrics = {
  namespace: "Microsoft.Web/sites",
  names: ["HttpResponseTime", "Http5xx", "Requests"],
  aggregations: ["average", "total"],
} as const;

export const databaseMetrics = {
  namespace: "Microsoft.Sql/servers/databases",
  names: ["sessions_percent", "workers_percent", "connection_failed", "cpu_percent", "deadlock"],
  aggregations: ["average", "maximum", "total"],
} as const;

export interface ComponentEvidence {
  state: ResourceState | undefined;
  metrics: ResourceMetrics | undefined;
  probe: ProbeResult | undefined;
}

const healthyStates: Record<"site" | "database", string[]> = {
  site: ["running"],
  database: ["online"],
};

export function availabilitySignal(
  component: ComponentPolicy,
  state: ResourceState | undefined,
): SignalResult {
  const base = { name: "availability", label: "Resource state", value: null, unit: "", threshold: null };
  if (!state) return { ...base, status: "unknown", reason: "Resource Manager was not asked" };
  if (state.error)
    return { ...base, status: "unknown", reason: `Resource Manager could not be read: ${state.error}` };
  if (!state.exists) return { ...base, status: "unknown", reason: "the resource does not exist" };
  const family = component.kind === "database" ? "database" : "site";
  const current = state.state ?? "unreported";
  const ok = healthyStates[family].includes(current.toLowerCase());
  return { ...base, status: ok ? "ok" : "critical", reason: ok ? current : `resource is ${current}` };
}

export function componentSignals(
  component: ComponentPolicy,
  evidence: ComponentEvidence,
  thresholds: Thresholds,
): SignalResult[] {
  const signals: SignalResult[] = [availabilitySignal(component, evidence.state)];
  const metrics = metricsOrReason(evidence);
  switch (component.kind) {
    case "webapp": {
      const t = thresholds.webapp;
      signals.push(
        metricSignal("responseTime", "Response time", "ms", t.responseTimeMs, metrics, (m) =>
          scaled(averageOf(m.get("HttpResponseTime"), "average"), 1000),
        ),
        metricSignal("errorRate", "Error rate", "%", t.errorRatePercent, metrics, (m) => errorRate(m)),
      );
      if (component.healthUrl) signals.push(probeSignal(t.probeTimeMs, evidence.probe));
      break;
    }
    case "api": {
      const t = thresholds.api;
      signals.push(
        metricSignal("latency", "API latency", "ms", t.latencyMs, metrics, (m) =>
          scaled(averageOf(m.get("HttpResponseTime"), "average"), 1000),
        ),
        metricSignal("successRate", "Success rate", "%", t.successRatePercent, metrics, (m) => {
          const rate = errorRate(m);
          return rate === null ? null : 100 - rate;
        }),
      );
      if (component.healthUrl) signals.push(probeSignal(t.probeTimeMs, evidence.probe));
      break;
    }
    case "database": {
      const t = thresholds.database;
      signals.push(
        metricSignal(
          "connectionPool",
          "Connection pool (sessions/workers)",
          "%",
          t.connectionPoolPercent,
          metrics,
          (m) =>
            maxOrNull(
              maxOf(m.get("sessions_percent"), "maximum"),
              maxOf(m.get("workers_percent"), "maximum"),
            ),
        ),
        metricSignal("failedConnections", "Failed connections", "", t.failedConnections, metrics, (m) =>
          totalOf(m.get("connection_failed")),
        ),
        metricSignal("queryCpu", "Query performance (CPU)", "%", t.cpuPercent, metrics, (m) =>
          averageOf(m.get("cpu_percent"), "average"),
        ),
        metricSignal("deadlocks", "Deadlocks", "", t.deadlocks, metrics, (m) => totalOf(m.get("deadlock"))),
      );
      break;
    }
  }
  return signals;
}

type MetricsOrReason = { ok: true; metrics: Map<string, MetricDatapoint[]> } | { ok: false; reason: string };

function metricsOrReason(evidence: ComponentEvidence): MetricsOrReason {
  if (evidence.state && evidence.state.exists === false && !evidence.state.error) {
    return { ok: false, reason: "the resource does not exist" };
  }
  if (!evidence.metrics) return { ok: false, reason: "Azure Monitor was not asked" };
  if (evidence.metrics.error || !evidence.metrics.metrics) {
    return { ok: false, reason: `metrics could not be read: ${evidence.metrics.error ?? "no data"}` };
  }
  return { ok: true, metrics: evidence.metrics.metrics };
}

function metricSignal(
  name: string,
  label: string,
  unit: string,
  threshold: Threshold,
  metrics: MetricsOrReason,
  compute: (m: Map<string, MetricDatapoint[]>) => number | null,
): SignalResult {
  if (!metrics.ok)
    return { name, label, unit, threshold, value: null, status: "unknown", reason: metrics.reason };
  const value = compute(metrics.metrics);
  if (value === null || !Number.isFinite(value)) {
    return {
      name,
      label,
      unit,
      threshold,
      value: null,
      status: "unknown",
      reason: "no datapoints in the window",
    };
  }
  const rounded = Math.round(value * 100) / 100;
  const status = judge(rounded, threshold);
  const comparison = threshold.direction === "below" ? "below" : "above";
  const reason =
    status === "ok"
      ? "within threshold"
      : `${status === "critical" ? "critical" : "warning"}: ${comparison} ${status === "critical" ? threshold.critical : threshold.warning}${unit}`;
  return { name, label, unit, threshold, value: rounded, status, reason };
}

function probeSignal(threshold: Threshold, probe: ProbeResult | undefined): SignalResult {
  const base = { name: "probe", label: "Health URL", unit: "ms", threshold };
  if (!probe) return { ...base, value: null, status: "unknown", reason: "the health URL was not probed" };
  if (probe.error)
    return { ...base, value: null, status: "critical", reason: `health URL failed: ${probe.error}` };
  const code = probe.statusCode ?? 0;
  if (code < 200 || code >= 400) {
    return { ...base, value: probe.durationInMs, status: "critical", reason: `health URL answered ${code}` };
  }
  const status = judge(probe.durationInMs, threshold);
  return {
    ...base,
    value: probe.durationInMs,
    status,
    reason: status === "ok" ? `answered ${code}` : `answered ${code} but slowly`,
  };
}

type Field = "average" | "maximum" | "total";

function values(points: MetricDatapoint[] | undefined, field: Field): number[] {
  if (!points) return [];
  return points.map((p) => p[field]).filter((v): v is number => typeof v === "number" && Number.isFinite(v));
}

function averageOf(points: MetricDatapoint[] | undefined, field: Field): number | null {
  const v = values(points, field);
  return v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length;
}

function maxOf(points: MetricDatapoint[] | undefined, field: Field): number | null {
  const v = values(points, field);
  return v.length === 0 ? null : Math.max(...v);
}

function totalOf(points: MetricDatapoint[] | undefined): number | null {
  const v = values(points, "total");
  return v.length === 0 ? null : v.reduce((a, b) => a + b, 0);
}

function scaled(value: number | null, factor: number): number | null {
  return value === null ? null : value * factor;
}

function maxOrNull(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

/** 5xx as a share of requests. No requests at all in the window is 0 % (there was data, and no failure). */
function errorRate(m: Map<string, MetricDatapoint[]>): number | null {
  const requests = totalOf(m.get("Requests"));
  const errors = totalOf(m.get("Http5xx"));
  if (requests === null) return null;
  if (requests === 0) return 0;
  return ((errors ?? 0) / requests) * 100;
}

/** A value breaches a limit when it is strictly beyond it: above for "above", below for "below". */
export function judge(value: number, threshold: Threshold): Exclude<Status, "unknown"> {
  const breaches = (limit: number): boolean =>
    threshold.direction === "below" ? value < limit : value > limit;
  if (breaches(threshold.critical)) return "critical";
  if (breaches(threshold.warning)) return "warning";
  return "ok";
}

import type { Logger } from "../../log.ts";
import type { Ports } from "../../ports/catalogue.ts";
import type { Clock } from "../../ports/clock.ts";
import type { LogTable } from "../../ports/logs-reader.ts";
import type { OpsPolicy } from "../../config/policy.ts";
import { knownName } from "../../names.ts";
import {
  type Collected,
  type SiteMetricValues,
  collectLogTable,
  collectSiteMetrics,
  failed,
} from "../site-diagnostics/collect.ts";

export interface DiagnosticsDeps extends Pick<Ports, "incidents" | "diagnostics" | "metrics" | "logs"> {
  policy: OpsPolicy;
  clock: Clock;
  logger: Logger;
}

/** What the guide's `az webapp log download` and log queries would give the on-call engineer. */
export const diagnosticQueries = {
  failedRequests:
    "requests | where timestamp > ago(1h) | where success == false | summarize failures = count() by name, resultCode | top 20 by failures desc",
  slowestRequests:
    "requests | where timestamp > ago(1h) | top 20 by duration desc | project timestamp, name, url, resultCode, duration, success",
};

export interface DiagnosticsBundle {
  incidentId: string;
  target: string;
  collectedAt: string;
  metrics: Collected<SiteMetricValues>;
  failedRequests: Collected<LogTable>;
  slowestRequests: Collected<LogTable>;
}

/**
 * Collects the last hour of the target's metrics and of its failed and slowest requests, saves them as a
 * blob and links it from the incident. Each source that fails is recorded as such; the rest is kept.
 */
export async function collectDiagnostics(deps: DiagnosticsDeps, incidentId: string): Promise<string> {
  const incident = await deps.incidents.getIncident(incidentId);
  if (!incident?.target) return "nothing to collect";
  if (incident.diagnostics.status === "collected") return "already collected";
  const now = deps.clock.now();
  const env = incident.environment ? knownName(deps.policy.environments, incident.environment) : undefined;
  const workspace = env?.logAnalyticsWorkspaceId;
  const region = env?.region ?? "westeurope";
  const target = incident.target;

  const metrics = collectSiteMetrics(deps.metrics, {
    siteId: target,
    region,
    start: new Date(now.getTime() - 3600_000),
    end: now,
    interval: "PT5M",
  });
  const query = (kql: string): Promise<Collected<LogTable>> =>
    collectLogTable(deps.logs, workspace, kql, { durationInMs: 3600_000 });

  const [metricValues, failedRequests, slowestRequests] = await Promise.all([
    metrics,
    query(diagnosticQueries.failedRequests),
    query(diagnosticQueries.slowestRequests),
  ]);
  const bundle: DiagnosticsBundle = {
    incidentId,
    target,
    collectedAt: now.toISOString(),
    metrics: metricValues,
    failedRequests,
    slowestRequests,
  };
  const blob = await deps.diagnostics.saveDiagnostics(incidentId, JSON.stringify(bundle, null, 2));
  const failures = [metricValues, failedRequests, slowestRequests].filter(failed).length;
  await deps.incidents.updateIncident(incidentId, (current) => {
    current.diagnostics = {
      status: failures === 3 ? "failed" : "collected",
      blob,
      error: failures > 0 ? `${failures} of 3 sources failed` : null,
    };
    return current;
  });
  await deps.incidents.appendEvent(incidentId, {
    at: now.toISOString(),
    type: "diagnostics",
    by: "system",
    detail: `collected (${3 - failures} of 3 sources)`,
  });
  return failures === 0 ? "collected" : `collected with ${failures} failed sources`;
}

import type { OpsPolicy } from "../../config/policy.ts";
import { OpsError, describeError, isOpsError } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import type { Ports } from "../../ports/catalogue.ts";
import type { CallOptions } from "../../ports/call-options.ts";
import type { Clock } from "../../ports/clock.ts";
import type { LogTable, LogsReader } from "../../ports/logs-reader.ts";
import type { MetricsReader } from "../../ports/metrics-reader.ts";
import type { ZipEntry } from "../../zip.ts";
import { siteMetrics } from "../health-check/signals.ts";

/**
 * The diagnostics of a web app, as the guide's `az webapp log download` gives them but read with the
 * app's managed identity: its App Service log tables and request telemetry from Log Analytics, its
 * recent metrics and its configuration (app settings by name only). Each source that fails is
 * recorded as such and the rest is kept. The incident diagnostics collect through the same functions.
 */

/** What a source gave, or why it gave nothing. */
export type Collected<T> = T | { error: string };

export function failed<T extends object>(part: Collected<T>): part is { error: string } {
  return "error" in part;
}

export type SiteMetricValues = Record<string, { timeStamp: string; average?: number; total?: number }[]>;

/** The site metrics the health check judges, and CPU time, averaged and totalled per interval. */
export async function collectSiteMetrics(
  metrics: MetricsReader,
  window: { siteId: string; region: string; start: Date; end: Date; interval: string },
  options: CallOptions = {},
): Promise<Collected<SiteMetricValues>> {
  try {
    const result = await metrics.query(
      {
        resourceIds: [window.siteId],
        namespace: siteMetrics.namespace,
        metricNames: [...siteMetrics.names, "CpuTime"],
        aggregations: ["average", "total"],
        start: window.start,
        end: window.end,
        interval: window.interval,
        region: window.region,
      },
      options,
    );
    const entry = result.get(window.siteId);
    if (!entry?.metrics) return { error: entry?.error ?? "no metrics returned" };
    return Object.fromEntries(
      [...entry.metrics].map(([name, points]) => [
        name,
        points.map((p) => ({ timeStamp: p.timeStamp.toISOString(), average: p.average, total: p.total })),
      ]),
    );
  } catch (error) {
    return { error: describeError(error) };
  }
}

/** One KQL query's table, or why there is none (no workspace in the policy, a refused query, ...). */
export async function collectLogTable(
  logs: LogsReader,
  workspaceId: string | undefined,
  kql: string,
  options: CallOptions & { durationInMs: number },
): Promise<Collected<LogTable>> {
  if (!workspaceId) return { error: "the environment has no Log Analytics workspace in the policy" };
  try {
    return await logs.query(workspaceId, kql, options);
  } catch (error) {
    return { error: describeError(error) };
  }
}

/**
 * The log tables of a site. App Service writes its resource logs (diagnostic settings) with the
 * site's id in `_ResourceId`; Application Insights' `requests` and `exceptions` carry the App
 * Insights component there, and the site's name in `cloud_RoleName`.
 */
export const siteLogTables = [
  { table: "AppServiceHTTPLogs", by: "resource", time: "TimeGenerated" },
  { table: "AppServiceConsoleLogs", by: "resource", time: "TimeGenerated" },
  { table: "AppServiceAppLogs", by: "resource", time: "TimeGenerated" },
  { table: "requests", by: "role", time: "timestamp" },
  { table: "exceptions", by: "role", time: "timestamp" },
] as const;

/** At most this many rows per table, the newest; the manifest says when a table was cut. */
export const rowsPerTable = 10_000;

/** A KQL string literal. */
function kqlString(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

export function siteLogQuery(
  source: (typeof siteLogTables)[number],
  site: { siteId: string; name: string },
  sinceMs: number,
): string {
  const filter =
    source.by === "resource"
      ? `_ResourceId =~ ${kqlString(site.siteId.toLowerCase())}`
      : `cloud_RoleName =~ ${kqlString(site.name)}`;
  const seconds = Math.ceil(sinceMs / 1000);
  return `${source.table} | where ${filter} and ${source.time} > ago(${seconds}s) | order by ${source.time} desc | take ${rowsPerTable}`;
}

/** The time grain of the metrics for a window: about a hundred points or fewer. */
export function metricInterval(sinceMs: number): string {
  const hour = 3_600_000;
  if (sinceMs <= 6 * hour) return "PT5M";
  if (sinceMs <= 24 * hour) return "PT15M";
  if (sinceMs <= 7 * 24 * hour) return "PT1H";
  return "PT6H";
}

export interface ManifestSource {
  source: string;
  kind: "logs" | "metrics" | "configuration";
  status: "collected" | "failed";
  /** The file inside the zip, when collected. */
  file?: string;
  /** Rows (logs), datapoints (metrics) or names (app settings). */
  rows?: number;
  /** True when a log table had more rows than were kept. */
  truncated?: boolean;
  /** The KQL that was run, to run it again in the portal. */
  query?: string;
  error?: string;
}

export interface SiteDiagnosticsManifest {
  site: { name: string; resourceGroup: string; resourceId: string; environment: string };
  window: { since: string; start: string; end: string };
  collectedAt: string;
  collectedBy: string;
  workspaceId: string | null;
  sources: ManifestSource[];
  /** Every file of the zip, this manifest included. */
  files: string[];
}

export interface SiteDiagnosticsDeps extends Pick<Ports, "siteConfig" | "metrics" | "logs"> {
  policy: OpsPolicy;
  clock: Clock;
  logger: Logger;
  actor: string;
  abortSignal?: AbortSignal;
}

export interface SiteDiagnosticsRequest {
  name: string;
  resourceGroup: string;
  /** As the caller wrote it (1h, PT30M). */
  since: string;
  sinceMs: number;
}

export const manifestPath = "manifest.json";

/** The environment of a resource group: the first in the policy with that name (any case). */
function environmentFor(
  policy: OpsPolicy,
  resourceGroup: string,
): [string, OpsPolicy["environments"][string]] {
  const found = Object.entries(policy.environments).find(
    ([, env]) => env.resourceGroup.toLowerCase() === resourceGroup.toLowerCase(),
  );
  if (!found) {
    const known = Object.values(policy.environments).map((env) => env.resourceGroup);
    throw new OpsError(
      "NotFound",
      `unknown resource group "${resourceGroup}": it is no environment's in the ops policy; known: ${known.join(", ") || "none"}`,
      { details: { field: "resourceGroup" } },
    );
  }
  return found;
}

/** Collects a site's diagnostics as the files of a zip, with the manifest first. */
export async function collectSiteDiagnostics(
  deps: SiteDiagnosticsDeps,
  request: SiteDiagnosticsRequest,
): Promise<{ manifest: SiteDiagnosticsManifest; entries: ZipEntry[] }> {
  const [environment, env] = environmentFor(deps.policy, request.resourceGroup);
  const siteId = `/subscriptions/${env.subscriptionId}/resourceGroups/${env.resourceGroup}/providers/Microsoft.Web/sites/${request.name}`;
  const site = { siteId, name: request.name };
  const options = { abortSignal: deps.abortSignal };
  const end = deps.clock.now();
  const start = new Date(end.getTime() - request.sinceMs);

  // The site first: a name that is not there is the caller's mistake, and nothing else is asked.
  const config = await deps.siteConfig.getSiteConfig(siteId, options).catch((error: unknown) => {
    if (isOpsError(error) && error.code === "NotFound") {
      const groupMissing = error.details.azureCode === "ResourceGroupNotFound";
      throw new OpsError(
        "NotFound",
        groupMissing
          ? `resource group "${env.resourceGroup}" was not found in subscription ${env.subscriptionId}`
          : `site "${request.name}" was not found in resource group "${env.resourceGroup}"`,
        { cause: error, details: { field: groupMissing ? "resourceGroup" : "name" } },
      );
    }
    return { error: describeError(error) };
  });

  const interval = metricInterval(request.sinceMs);
  const [settingNames, metrics, ...tables] = await Promise.all([
    deps.siteConfig
      .listAppSettingNames(siteId, options)
      .catch((error: unknown) => ({ error: describeError(error) })),
    collectSiteMetrics(deps.metrics, { siteId, region: env.region, start, end, interval }, options),
    ...siteLogTables.map(async (source) => {
      const query = siteLogQuery(source, site, request.sinceMs);
      const table = await collectLogTable(deps.logs, env.logAnalyticsWorkspaceId, query, {
        ...options,
        durationInMs: request.sinceMs,
      });
      return { source, query, table };
    }),
  ]);

  const entries: ZipEntry[] = [];
  const sources: ManifestSource[] = [];
  const record = (entry: ManifestSource, error: string | undefined): void => {
    sources.push(entry);
    if (error) deps.logger.warn("diagnostics source failed", { source: entry.source, site: siteId, error });
  };

  for (const { source, query, table } of tables) {
    const base = { source: source.table, kind: "logs" as const, query };
    if (failed(table)) {
      record({ ...base, status: "failed", error: table.error }, table.error);
      continue;
    }
    const file = `logs/${source.table}.jsonl`;
    // Newest first from the query (so a cut keeps the latest); oldest first in the file, as logs read.
    const rows = [...table.rows].reverse();
    entries.push({ path: file, text: jsonLines(table.columns, rows) });
    record(
      { ...base, status: "collected", file, rows: rows.length, truncated: rows.length >= rowsPerTable },
      undefined,
    );
  }

  if (failed(metrics)) {
    record({ source: "metrics", kind: "metrics", status: "failed", error: metrics.error }, metrics.error);
  } else {
    const file = "metrics/site-metrics.json";
    entries.push({
      path: file,
      text: json({
        resourceId: siteId,
        interval,
        start: start.toISOString(),
        end: end.toISOString(),
        metrics,
      }),
    });
    const points = Object.values(metrics).reduce((sum, list) => sum + list.length, 0);
    record({ source: "metrics", kind: "metrics", status: "collected", file, rows: points }, undefined);
  }

  if (failed(config)) {
    record(
      { source: "site configuration", kind: "configuration", status: "failed", error: config.error },
      config.error,
    );
  } else {
    const file = "site/configuration.json";
    entries.push({ path: file, text: json(config) });
    record({ source: "site configuration", kind: "configuration", status: "collected", file }, undefined);
  }

  if (failed(settingNames)) {
    record(
      { source: "app setting names", kind: "configuration", status: "failed", error: settingNames.error },
      settingNames.error,
    );
  } else {
    const file = "site/app-setting-names.json";
    entries.push({
      path: file,
      text: json({ note: "names only: the values are never collected", names: settingNames }),
    });
    record(
      {
        source: "app setting names",
        kind: "configuration",
        status: "collected",
        file,
        rows: settingNames.length,
      },
      undefined,
    );
  }

  const manifest: SiteDiagnosticsManifest = {
    site: { name: request.name, resourceGroup: env.resourceGroup, resourceId: siteId, environment },
    window: { since: request.since, start: start.toISOString(), end: end.toISOString() },
    collectedAt: end.toISOString(),
    collectedBy: deps.actor,
    workspaceId: env.logAnalyticsWorkspaceId ?? null,
    sources,
    files: [manifestPath, ...entries.map((e) => e.path)],
  };
  return { manifest, entries: [{ path: manifestPath, text: json(manifest) }, ...entries] };
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** One JSON object per row, keyed by column: greppable, and loses no type. */
function jsonLines(columns: readonly string[], rows: readonly unknown[][]): string {
  return rows
    .map((row) => JSON.stringify(Object.fromEntries(columns.map((c, i) => [c, row[i] ?? null]))))
    .map((line) => `${line}\n`)
    .join("");
}

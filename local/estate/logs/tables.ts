import type { EstateContext } from "../context.ts";
import type { ResourceRecord } from "../model/state.ts";
import { levelsFor } from "../scenarios.ts";
import { signedNoise, unitNoise } from "../signals/random.ts";
import { floorTo } from "../signals/time.ts";

/**
 * The tables a workspace holds, generated from the scenario: sampled `requests` rows per site
 * (Application Insights' classic schema: timestamp, name, url, resultCode, duration, success,
 * cloud_RoleName). Failures and durations follow the same levels as the site's metrics.
 */

export type ColumnType = "datetime" | "string" | "real" | "long" | "int" | "bool" | "dynamic";
export type Cell = string | number | boolean | null;

export interface Column {
  name: string;
  type: ColumnType;
}

/** Rows as records while a query runs; serialized as arrays in column order. */
export interface Table {
  name: string;
  columns: Column[];
  rows: Record<string, Cell>[];
}

export const requestsColumns: Column[] = [
  { name: "timestamp", type: "datetime" },
  { name: "name", type: "string" },
  { name: "url", type: "string" },
  { name: "resultCode", type: "string" },
  { name: "duration", type: "real" },
  { name: "success", type: "bool" },
  { name: "cloud_RoleName", type: "string" },
];

/** The simulated workspace keeps a week: longer timespans are cut to the last seven days. */
export const retentionMs = 7 * 86_400_000;

const routesByKind = {
  webapp: ["GET /", "GET /portfolio", "GET /insights", "POST /contact"],
  api: ["GET /api/deals", "GET /api/portfolio", "POST /api/deals", "GET /api/health"],
} as const;

/** Sampled request telemetry: ten rows per site per minute. */
const rowsPerMinute = 10;

/**
 * Whether the n-th request of a site's stream failed. Failures are spread evenly (a low-discrepancy
 * sequence) rather than drawn at random, so any window holds the scenario's share give or take one.
 */
function failed(n: number, rate: number, phase: number): boolean {
  return Math.floor((n + 1) * rate + phase) > Math.floor(n * rate + phase);
}

function requestRows(
  ctx: EstateContext,
  site: ResourceRecord,
  kind: "webapp" | "api",
  span: { start: Date; end: Date },
): Record<string, Cell>[] {
  const profile = site.signals;
  if (!profile) return [];
  const scenario = ctx.scenario();
  const levels = levelsFor(scenario, profile);
  if (levels.family !== "site") return [];
  const seed = profile.scenarioTarget ? scenario : "baseline";
  const host = `https://${site.resource.name}.azurewebsites.net`;
  const routes = routesByKind[kind];
  const phase = unitNoise(`${site.resource.id.toLowerCase()}|phase`);
  const slotMs = 60_000 / rowsPerMinute;
  const rows: Record<string, Cell>[] = [];
  const from = Math.max(span.start.getTime(), span.end.getTime() - retentionMs);
  for (let minute = floorTo(from, 60_000); minute < span.end.getTime(); minute += 60_000) {
    for (let i = 0; i < rowsPerMinute; i++) {
      const n = (minute / 60_000) * rowsPerMinute + i;
      const key = `${seed}|${site.resource.id.toLowerCase()}|${n}`;
      const at = minute + i * slotMs + Math.floor(unitNoise(`${key}|offset`) * slotMs);
      if (at < span.start.getTime() || at >= span.end.getTime()) continue;
      const route = routes[Math.floor(unitNoise(`${key}|route`) * routes.length)] ?? routes[0];
      const success = !failed(n, levels.errorRate, phase);
      const path = route.split(" ")[1] ?? "/";
      rows.push({
        timestamp: new Date(at).toISOString(),
        name: route,
        url: `${host}${path}`,
        resultCode: success ? "200" : unitNoise(`${key}|code`) < 0.7 ? "500" : "503",
        duration:
          Math.round(levels.responseTimeSeconds * 1000 * (1 + 0.3 * signedNoise(`${key}|duration`)) * 100) /
          100,
        success,
        cloud_RoleName: site.resource.name,
      });
    }
  }
  return rows;
}

/**
 * The `requests` table of a workspace's environment over a time span; `resourceId` narrows it to one
 * site (a resource-centric query).
 */
export function requestsTable(
  ctx: EstateContext,
  scope: { environment?: string; resourceId?: string },
  span: { start: Date; end: Date },
): Table {
  const sites = ctx.state
    .list({ type: "Microsoft.Web/sites" })
    .filter((r) => (scope.environment === undefined ? true : r.environment === scope.environment))
    .filter((r) =>
      scope.resourceId === undefined ? true : r.resource.id.toLowerCase() === scope.resourceId.toLowerCase(),
    );
  const rows: Record<string, Cell>[] = [];
  for (const site of sites) {
    const kind = site.signals?.kind;
    if (kind === "webapp" || kind === "api") rows.push(...requestRows(ctx, site, kind, span));
  }
  rows.sort((a, b) => String(a["timestamp"]).localeCompare(String(b["timestamp"])));
  return { name: "requests", columns: requestsColumns, rows };
}

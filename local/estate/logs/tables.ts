import type { EstateContext } from "../context.ts";
import type { ResourceRecord } from "../model/state.ts";
import { levelsFor } from "../scenarios.ts";
import { signedNoise, unitNoise } from "../signals/random.ts";
import { floorTo } from "../signals/time.ts";

/**
 * The tables a workspace holds, generated from the scenario: sampled `requests` rows per site
 * (Application Insights' classic schema: timestamp, name, url, resultCode, duration, success,
 * cloud_RoleName), and from the same sampled requests `exceptions`, App Service's
 * `AppServiceHTTPLogs`, `AppServiceConsoleLogs` and `AppServiceAppLogs` (their documented columns).
 * Failures and durations follow the same levels as the site's metrics, so a 5xx in `requests` is a
 * 5xx in the HTTP log and an Error in the app and console logs.
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

/** One sampled request of a site: what every request-derived table (requests, HTTP logs, exceptions) shows. */
interface RequestEvent {
  at: number;
  /** `GET /portfolio` */
  route: string;
  method: string;
  path: string;
  success: boolean;
  status: number;
  durationMs: number;
  /** Seed for the event's own noise. */
  key: string;
}

function requestEvents(
  ctx: EstateContext,
  site: ResourceRecord,
  kind: "webapp" | "api",
  span: { start: Date; end: Date },
): RequestEvent[] {
  const profile = site.signals;
  if (!profile) return [];
  const scenario = ctx.scenario();
  const levels = levelsFor(scenario, profile);
  if (levels.family !== "site") return [];
  const seed = profile.scenarioTarget ? scenario : "baseline";
  const routes = routesByKind[kind];
  const phase = unitNoise(`${site.resource.id.toLowerCase()}|phase`);
  const slotMs = 60_000 / rowsPerMinute;
  const events: RequestEvent[] = [];
  const from = Math.max(span.start.getTime(), span.end.getTime() - retentionMs);
  for (let minute = floorTo(from, 60_000); minute < span.end.getTime(); minute += 60_000) {
    for (let i = 0; i < rowsPerMinute; i++) {
      const n = (minute / 60_000) * rowsPerMinute + i;
      const key = `${seed}|${site.resource.id.toLowerCase()}|${n}`;
      const at = minute + i * slotMs + Math.floor(unitNoise(`${key}|offset`) * slotMs);
      if (at < span.start.getTime() || at >= span.end.getTime()) continue;
      const route = routes[Math.floor(unitNoise(`${key}|route`) * routes.length)] ?? routes[0];
      const success = !failed(n, levels.errorRate, phase);
      const [method = "GET", path = "/"] = route.split(" ");
      events.push({
        at,
        route,
        method,
        path,
        success,
        status: success ? 200 : unitNoise(`${key}|code`) < 0.7 ? 500 : 503,
        durationMs:
          Math.round(levels.responseTimeSeconds * 1000 * (1 + 0.3 * signedNoise(`${key}|duration`)) * 100) /
          100,
        key,
      });
    }
  }
  return events;
}

export interface TableScope {
  environment?: string;
  /** Narrows the tables to one site (a resource-centric query). */
  resourceId?: string;
  /** The workspace's customerId, reported in TenantId. */
  workspaceId?: string;
}

/** The demo sites in scope, each with its kind. */
function sitesInScope(
  ctx: EstateContext,
  scope: TableScope,
): { site: ResourceRecord; kind: "webapp" | "api" }[] {
  return ctx.state
    .list({ type: "Microsoft.Web/sites" })
    .filter((r) => (scope.environment === undefined ? true : r.environment === scope.environment))
    .filter((r) =>
      scope.resourceId === undefined ? true : r.resource.id.toLowerCase() === scope.resourceId.toLowerCase(),
    )
    .flatMap((site) => {
      const kind = site.signals?.kind;
      return kind === "webapp" || kind === "api" ? [{ site, kind }] : [];
    });
}

function byTime(column: string): (a: Record<string, Cell>, b: Record<string, Cell>) => number {
  return (a, b) => String(a[column]).localeCompare(String(b[column]));
}

/**
 * The `requests` table of a workspace's environment over a time span; `resourceId` narrows it to one
 * site (a resource-centric query).
 */
export function requestsTable(
  ctx: EstateContext,
  scope: TableScope,
  span: { start: Date; end: Date },
): Table {
  const rows: Record<string, Cell>[] = [];
  for (const { site, kind } of sitesInScope(ctx, scope)) {
    const host = `https://${site.resource.name}.azurewebsites.net`;
    for (const e of requestEvents(ctx, site, kind, span)) {
      rows.push({
        timestamp: new Date(e.at).toISOString(),
        name: e.route,
        url: `${host}${e.path}`,
        resultCode: String(e.status),
        duration: e.durationMs,
        success: e.success,
        cloud_RoleName: site.resource.name,
      });
    }
  }
  rows.sort(byTime("timestamp"));
  return { name: "requests", columns: requestsColumns, rows };
}

/** Log Analytics reports `_ResourceId` in lower case. */
function logResourceId(site: ResourceRecord): string {
  return site.resource.id.toLowerCase();
}

function subscriptionOf(site: ResourceRecord): string {
  return /^\/subscriptions\/([^/]+)/i.exec(site.resource.id)?.[1] ?? "";
}

/** The instance a row came from: App Service names its workers like this. */
function instanceName(site: ResourceRecord, key: string): string {
  const workers = ["RD0003FF4C9A21", "RD0003FF4C9B7E"];
  return (
    workers[Math.floor(unitNoise(`${site.resource.id}|${key}|worker`) * workers.length)] ?? "RD0003FF4C9A21"
  );
}

const failureMessages: Record<number, { type: string; message: string; stack: string }> = {
  500: {
    type: "TypeError",
    message: "Cannot read properties of undefined (reading 'items')",
    stack:
      "TypeError: Cannot read properties of undefined (reading 'items')\n    at renderPage (/home/site/wwwroot/dist/server.js:412:31)\n    at async handle (/home/site/wwwroot/dist/server.js:188:7)",
  },
  503: {
    type: "Error",
    message: "Upstream request timed out after 30000 ms",
    stack:
      "Error: Upstream request timed out after 30000 ms\n    at Timeout._onTimeout (/home/site/wwwroot/dist/upstream.js:57:18)\n    at listOnTimeout (node:internal/timers:581:17)",
  },
};

export const httpLogsColumns: Column[] = [
  { name: "TenantId", type: "string" },
  { name: "TimeGenerated", type: "datetime" },
  { name: "Category", type: "string" },
  { name: "CsMethod", type: "string" },
  { name: "CsUriStem", type: "string" },
  { name: "SPort", type: "string" },
  { name: "CIp", type: "string" },
  { name: "UserAgent", type: "string" },
  { name: "CsHost", type: "string" },
  { name: "ScStatus", type: "int" },
  { name: "ScSubStatus", type: "string" },
  { name: "ScWin32Status", type: "string" },
  { name: "CsBytes", type: "int" },
  { name: "ScBytes", type: "int" },
  { name: "TimeTaken", type: "int" },
  { name: "Result", type: "string" },
  { name: "Cookie", type: "string" },
  { name: "CsUriQuery", type: "string" },
  { name: "CsUsername", type: "string" },
  { name: "Referer", type: "string" },
  { name: "ComputerName", type: "string" },
  { name: "SourceSystem", type: "string" },
  { name: "Type", type: "string" },
  { name: "_ResourceId", type: "string" },
  { name: "_SubscriptionId", type: "string" },
];

/** `AppServiceHTTPLogs`: the same sampled requests as `requests`, as App Service's HTTP log records them. */
export function httpLogsTable(
  ctx: EstateContext,
  scope: TableScope,
  span: { start: Date; end: Date },
): Table {
  const rows: Record<string, Cell>[] = [];
  for (const { site, kind } of sitesInScope(ctx, scope)) {
    for (const e of requestEvents(ctx, site, kind, span)) {
      const client = Math.floor(unitNoise(`${e.key}|client`) * 250) + 1;
      rows.push({
        TenantId: scope.workspaceId ?? "",
        TimeGenerated: new Date(e.at).toISOString(),
        Category: "AppServiceHTTPLogs",
        CsMethod: e.method,
        CsUriStem: e.path,
        SPort: "443",
        CIp: `203.0.113.${client}`,
        UserAgent: kind === "api" ? "phoenix-web/1.4 (node)" : "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
        CsHost: `${site.resource.name}.azurewebsites.net`,
        ScStatus: e.status,
        ScSubStatus: "0",
        ScWin32Status: "0",
        CsBytes: e.method === "POST" ? 1480 : 620,
        ScBytes: e.success ? 8200 + Math.floor(unitNoise(`${e.key}|bytes`) * 4000) : 312,
        TimeTaken: Math.round(e.durationMs),
        Result: e.success ? "Success" : "Failure",
        Cookie: "-",
        CsUriQuery: "",
        CsUsername: "",
        Referer: "",
        ComputerName: instanceName(site, e.key),
        SourceSystem: "Azure",
        Type: "AppServiceHTTPLogs",
        _ResourceId: logResourceId(site),
        _SubscriptionId: subscriptionOf(site),
      });
    }
  }
  rows.sort(byTime("TimeGenerated"));
  return { name: "AppServiceHTTPLogs", columns: httpLogsColumns, rows };
}

export const consoleLogsColumns: Column[] = [
  { name: "TenantId", type: "string" },
  { name: "TimeGenerated", type: "datetime" },
  { name: "Level", type: "string" },
  { name: "Host", type: "string" },
  { name: "ResultDescription", type: "string" },
  { name: "ContainerId", type: "string" },
  { name: "OperationName", type: "string" },
  { name: "Category", type: "string" },
  { name: "SourceSystem", type: "string" },
  { name: "Type", type: "string" },
  { name: "_ResourceId", type: "string" },
  { name: "_SubscriptionId", type: "string" },
];

/**
 * `AppServiceConsoleLogs`: the sites' stdout/stderr, one line per request (Informational) and an
 * Error line with the stack for each failed one.
 */
export function consoleLogsTable(
  ctx: EstateContext,
  scope: TableScope,
  span: { start: Date; end: Date },
): Table {
  const rows: Record<string, Cell>[] = [];
  for (const { site, kind } of sitesInScope(ctx, scope)) {
    const base = {
      TenantId: scope.workspaceId ?? "",
      ContainerId: `${site.resource.name}_0_${stableHex(site.resource.id)}`,
      OperationName: "Microsoft.Web/sites/log",
      Category: "AppServiceConsoleLogs",
      SourceSystem: "Azure",
      Type: "AppServiceConsoleLogs",
      _ResourceId: logResourceId(site),
      _SubscriptionId: subscriptionOf(site),
    };
    for (const e of requestEvents(ctx, site, kind, span)) {
      const host = instanceName(site, e.key);
      rows.push({
        ...base,
        TimeGenerated: new Date(e.at).toISOString(),
        Level: e.success ? "Informational" : "Error",
        Host: host,
        ResultDescription: `${e.method} ${e.path} ${e.status} ${Math.round(e.durationMs)}ms`,
      });
      const failure = failureMessages[e.status];
      if (failure) {
        rows.push({
          ...base,
          TimeGenerated: new Date(e.at + 1).toISOString(),
          Level: "Error",
          Host: host,
          ResultDescription: failure.stack,
        });
      }
    }
  }
  rows.sort(byTime("TimeGenerated"));
  return { name: "AppServiceConsoleLogs", columns: consoleLogsColumns, rows };
}

export const appLogsColumns: Column[] = [
  { name: "TenantId", type: "string" },
  { name: "TimeGenerated", type: "datetime" },
  { name: "Level", type: "string" },
  { name: "Host", type: "string" },
  { name: "ResultDescription", type: "string" },
  { name: "CustomLevel", type: "string" },
  { name: "Source", type: "string" },
  { name: "Logger", type: "string" },
  { name: "Method", type: "string" },
  { name: "Stacktrace", type: "string" },
  { name: "ExceptionClass", type: "string" },
  { name: "Message", type: "string" },
  { name: "ContainerId", type: "string" },
  { name: "OperationName", type: "string" },
  { name: "Category", type: "string" },
  { name: "WebSiteInstanceId", type: "string" },
  { name: "SourceSystem", type: "string" },
  { name: "Type", type: "string" },
  { name: "_ResourceId", type: "string" },
  { name: "_SubscriptionId", type: "string" },
];

/** `AppServiceAppLogs`: what the application logs itself, an error with its exception per failed request. */
export function appLogsTable(ctx: EstateContext, scope: TableScope, span: { start: Date; end: Date }): Table {
  const rows: Record<string, Cell>[] = [];
  for (const { site, kind } of sitesInScope(ctx, scope)) {
    for (const e of requestEvents(ctx, site, kind, span)) {
      const failure = failureMessages[e.status];
      const host = instanceName(site, e.key);
      const message = failure
        ? `${e.route} failed: ${failure.message}`
        : `${e.route} completed in ${Math.round(e.durationMs)} ms`;
      rows.push({
        TenantId: scope.workspaceId ?? "",
        TimeGenerated: new Date(e.at).toISOString(),
        Level: failure ? "Error" : "Informational",
        Host: host,
        ResultDescription: message,
        CustomLevel: failure ? "error" : "info",
        Source: "server.js",
        Logger: "phoenix",
        Method: e.route,
        Stacktrace: failure?.stack ?? "",
        ExceptionClass: failure?.type ?? "",
        Message: message,
        ContainerId: `${site.resource.name}_0_${stableHex(site.resource.id)}`,
        OperationName: "Microsoft.Web/sites/log",
        Category: "AppServiceAppLogs",
        WebSiteInstanceId: stableHex(`${site.resource.id}|${host}`).repeat(4),
        SourceSystem: "Azure",
        Type: "AppServiceAppLogs",
        _ResourceId: logResourceId(site),
        _SubscriptionId: subscriptionOf(site),
      });
    }
  }
  rows.sort(byTime("TimeGenerated"));
  return { name: "AppServiceAppLogs", columns: appLogsColumns, rows };
}

export const exceptionsColumns: Column[] = [
  { name: "timestamp", type: "datetime" },
  { name: "problemId", type: "string" },
  { name: "type", type: "string" },
  { name: "outerMessage", type: "string" },
  { name: "innermostMessage", type: "string" },
  { name: "severityLevel", type: "int" },
  { name: "operation_Name", type: "string" },
  { name: "operation_Id", type: "string" },
  { name: "cloud_RoleName", type: "string" },
  { name: "itemType", type: "string" },
];

/** Application Insights' classic `exceptions`: one per failed request of `requests`. */
export function exceptionsTable(
  ctx: EstateContext,
  scope: TableScope,
  span: { start: Date; end: Date },
): Table {
  const rows: Record<string, Cell>[] = [];
  for (const { site, kind } of sitesInScope(ctx, scope)) {
    for (const e of requestEvents(ctx, site, kind, span)) {
      const failure = failureMessages[e.status];
      if (!failure) continue;
      rows.push({
        timestamp: new Date(e.at).toISOString(),
        problemId: `${failure.type} at ${failure.stack.split("\n")[1]?.trim().replace(/^at /, "") ?? ""}`,
        type: failure.type,
        outerMessage: failure.message,
        innermostMessage: failure.message,
        severityLevel: 3,
        operation_Name: e.route,
        operation_Id: stableHex(e.key).repeat(4),
        cloud_RoleName: site.resource.name,
        itemType: "exception",
      });
    }
  }
  rows.sort(byTime("timestamp"));
  return { name: "exceptions", columns: exceptionsColumns, rows };
}

/** Eight stable hex digits for a text. */
function stableHex(text: string): string {
  return Math.floor(unitNoise(`${text}|hex`) * 0xffffffff)
    .toString(16)
    .padStart(8, "0");
}

/** The tables a workspace serves, by name (matched exactly, as KQL does). */
export function workspaceTables(
  ctx: EstateContext,
  scope: TableScope,
  span: { start: Date; end: Date },
): Map<string, () => Table> {
  return new Map<string, () => Table>([
    ["requests", () => requestsTable(ctx, scope, span)],
    ["exceptions", () => exceptionsTable(ctx, scope, span)],
    ["AppServiceHTTPLogs", () => httpLogsTable(ctx, scope, span)],
    ["AppServiceConsoleLogs", () => consoleLogsTable(ctx, scope, span)],
    ["AppServiceAppLogs", () => appLogsTable(ctx, scope, span)],
  ]);
}

/**
 * Field-level mapping shared by the common-schema and legacy-schema normalizers: severity, condition,
 * signal type, links, test markers, ids and the `values` list of each alert kind.
 */
import { canonicalSha256 } from "../hashing.ts";
import {
  MAX_LIST_ITEMS,
  amount,
  field,
  hasField,
  firstLine,
  isRecord,
  line,
  list,
  numberOrText,
  truthy,
} from "./json-access.ts";
import {
  alertSeverities,
  type AlertCondition,
  type AlertSeverity,
  type AlertValue,
  type NormalizedAlert,
} from "./model.ts";

/** What a shape normalizer makes of a payload it was chosen for. */
export type ShapeResult = { ok: true; alert: NormalizedAlert } | { ok: false; reason: string };

// ---------------------------------------------------------------------------------------------------
// Enums

/** "Sev0".."Sev4" in any case/spacing, legacy "0".."4" strings and 0..4 numbers. Anything else: null. */
export function parseSeverity(value: unknown): AlertSeverity | null {
  let index: number | null = null;
  if (typeof value === "number" && Number.isInteger(value)) index = value;
  else if (typeof value === "string") {
    const m = /^\s*(?:sev(?:erity)?\s*)?([0-4])\s*$/i.exec(value);
    if (m) index = Number(m[1]);
  }
  return index !== null && index >= 0 && index <= 4 ? (alertSeverities[index] ?? null) : null;
}

/** Fired/Activated/Active → "fired", Resolved/Deactivated → "resolved" (any case); anything else null. */
export function parseCondition(value: unknown): AlertCondition | null {
  if (typeof value !== "string") return null;
  const v = value.trim().toLowerCase();
  if (v === "fired" || v === "activated" || v === "active") return "fired";
  if (v === "resolved" || v === "deactivated") return "resolved";
  return null;
}

/** "Metric", "Log", "Activity Log" (also for "ActivityLog"); other values kept as Azure sent them. */
export function parseSignalType(value: unknown): string | null {
  const text = line(value, 100);
  if (text === null) return null;
  const key = text.toLowerCase().replace(/[\s_-]/g, "");
  if (key === "metric") return "Metric";
  if (key === "log") return "Log";
  if (key === "activitylog") return "Activity Log";
  return text;
}

// ---------------------------------------------------------------------------------------------------
// Ids

// eslint-disable-next-line no-control-regex -- rejecting control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
const WHITESPACE_OR_CONTROL = /[\s\u0000-\u001f\u007f]/; // eslint-disable-line no-control-regex

/** Longest id kept verbatim; longer ids are replaced by a hash so they stay unique without being stored. */
const MAX_ID_LENGTH = 2000;

/** An id from the payload (alertId, rule id): single line; overlong ids become `<prefix>:sha256`. */
export function idText(value: unknown, prefix: string): string | null {
  if (typeof value !== "string") return null;
  const text = line(value, Number.MAX_SAFE_INTEGER);
  if (text === null) return null;
  return text.length <= MAX_ID_LENGTH ? text : `${prefix}:${canonicalSha256(text)}`;
}

/** The stable alertId of a shape without one: `<schema>:<sha256 of the identifying fields>`. */
export function hashedAlertId(schema: string, identity: Record<string, unknown>): string {
  return `${schema}:${canonicalSha256({ schema, ...identity })}`;
}

/** Last segment of a resource path ("/subscriptions/…/metricAlerts/cpu" → "cpu"), else the text itself. */
export function lastSegment(text: string): string {
  const segments = text.split("/").filter((s) => s !== "");
  return segments.at(-1) ?? text;
}

export function isResourcePath(text: string): boolean {
  return /^\/subscriptions\/[^/]+(?:\/.*)?$/i.test(text) && !CONTROL.test(text);
}

// ---------------------------------------------------------------------------------------------------
// Links

/** Payload links are only kept for these hosts (and their subdomains): the Azure portals. */
const PORTAL_HOSTS = ["portal.azure.com", "portal.azure.us", "portal.azure.cn"];
const MAX_LINK_LENGTH = 8192;

/**
 * A link from the payload, kept only when it is an https URL to an Azure portal host, without
 * credentials, whitespace or control characters. Returned in the WHATWG-serialised form, so quotes and
 * angle brackets are percent-encoded. Anything else (javascript:, http:, other hosts, overlong): null.
 */
function safePortalLink(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const text = value.trim();
  if (text === "" || text.length > MAX_LINK_LENGTH || WHITESPACE_OR_CONTROL.test(text)) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" || url.username !== "" || url.password !== "" || url.port !== "") return null;
  const host = url.hostname.toLowerCase();
  if (!PORTAL_HOSTS.some((h) => host === h || host.endsWith(`.${h}`))) return null;
  return url.href.length <= MAX_LINK_LENGTH ? url.href : null;
}

/** The portal's alert details blade for an alert whose id is an Azure resource path, else null. */
function alertDetailsLink(alertId: string): string | null {
  if (!isResourcePath(alertId)) return null;
  try {
    return `https://portal.azure.com/#blade/Microsoft_Azure_Monitoring_Alerts/AlertDetailsTemplateBlade/alertId/${encodeURIComponent(alertId)}`;
  } catch {
    return null; // lone surrogate
  }
}

/** The first safe payload link among `candidates`, else the details blade of `alertId`. */
export function pickLink(candidates: readonly unknown[], alertId: string): string | null {
  for (const candidate of candidates) {
    const link = safePortalLink(candidate);
    if (link !== null) return link;
  }
  return alertDetailsLink(alertId);
}

// ---------------------------------------------------------------------------------------------------
// Test markers

/**
 * Ids Azure's "Test action group" payloads use (as published in Microsoft's test-action samples), and
 * the all-zero GUID. Matched against the last segment of alertId and against originAlertId exactly.
 */
const TEST_IDS = new Set([
  "00000000-0000-0000-0000-000000000000",
  "12345678-1234-1234-1234-1234567890ab",
  "eeeeeeee-4444-5555-6666-ffffffffffff",
  "1234abcd5678efgh1234abcd5678efgh1234abcd5678efgh1234abcd5678efgh",
  "test_alert",
]);

export interface TestMarkers {
  alertId?: string | null;
  originAlertId?: unknown;
  rule?: string | null;
  /** Activity log `properties` (service health carries IsSynthetic/isSynthetic there). */
  eventProperties?: unknown;
}

/**
 * True when the payload says it is a test: a synthetic service-health event (IsSynthetic "True"), a rule
 * named "Test Action…", or an alertId/originAlertId that is one of the test-action sentinel ids.
 */
export function isTestAlert(m: TestMarkers): boolean {
  if (truthy(field(m.eventProperties, "IsSynthetic", "isSynthetic"))) return true;
  if (m.rule && /^test[\s_-]*action\b/i.test(m.rule)) return true;
  if (m.alertId && TEST_IDS.has(lastSegment(m.alertId).toLowerCase())) return true;
  const origin = line(m.originAlertId);
  return origin !== null && TEST_IDS.has(origin.toLowerCase());
}

// ---------------------------------------------------------------------------------------------------
// Values

function value(
  name: string,
  observed: unknown,
  threshold: unknown = null,
  operator: unknown = null,
  aggregation: unknown = null,
): AlertValue {
  return {
    name,
    value: numberOrText(observed),
    threshold: numberOrText(threshold),
    operator: line(operator, 100),
    aggregation: line(aggregation, 100),
  };
}

/**
 * Metric and log criteria (`condition.allOf`, common schema and AzureMonitorMetricAlert): one value per
 * criterion. Log criteria (LogQueryCriteria, or a criterion with searchQuery/metricMeasureColumn) are
 * named after metricMeasureColumn, or "Result count" when there is none.
 */
export function criteriaValues(condition: unknown, conditionType: unknown): AlertValue[] {
  const isLogRule = typeof conditionType === "string" && /^logquerycriteria$/i.test(conditionType.trim());
  const out: AlertValue[] = [];
  for (const criterion of list(condition, "allOf") ?? []) {
    if (!isRecord(criterion)) continue;
    const isLog =
      isLogRule ||
      field(criterion, "searchQuery") !== undefined ||
      Object.hasOwn(criterion, "metricMeasureColumn");
    const name = isLog
      ? (line(field(criterion, "metricMeasureColumn")) ?? "Result count")
      : (firstLine(field(criterion, "metricName"), field(criterion, "webTestName")) ?? "Metric");
    out.push(
      value(
        name,
        field(criterion, "metricValue"),
        field(criterion, "threshold"),
        field(criterion, "operator"),
        field(criterion, "timeAggregation"),
      ),
    );
  }
  return out;
}

/** Classic metric alerts: `context.condition` is one flat criterion. */
export function classicConditionValues(condition: unknown): AlertValue[] {
  if (!isRecord(condition)) return [];
  const name = line(field(condition, "metricName"));
  if (name === null && field(condition, "metricValue") === undefined) return [];
  return [
    value(
      name ?? "Metric",
      field(condition, "metricValue"),
      field(condition, "threshold"),
      field(condition, "operator", "operatorName"),
      field(condition, "timeAggregation"),
    ),
  ];
}

/** Log search v1 (common alertContext, flat Log Analytics, App Insights LogAlert): the result count. */
export function logV1Values(context: unknown): AlertValue[] {
  const count = field(context, "ResultCount");
  const threshold = field(context, "Threshold", "AlertThresholdValue");
  if (count === undefined && threshold === undefined) return [];
  return [value("Result count", count, threshold, field(context, "Operator", "AlertThresholdOperator"))];
}

/**
 * Budgets: "Budget" is spent vs the budget amount, "Forecast" the forecast vs the budget amount, and
 * "Notification threshold" the amount this notification was configured for. Amounts become numbers
 * ("$11,111.00" → 11111) when unambiguous; currency is in the description/unit, not here.
 */
export function budgetValues(data: unknown): AlertValue[] {
  const budget = amount(field(data, "BudgetThreshold", "Budget"));
  const out: AlertValue[] = [];
  const spent = amount(field(data, "SpentAmount", "SpendingAmount"));
  if (spent !== null || budget !== null)
    out.push({ ...value("Budget", null), value: spent, threshold: budget });
  const forecast = amount(field(data, "ForecastedTotalForPeriod", "ForecastedAmount"));
  if (forecast !== null) out.push({ ...value("Forecast", null), value: forecast, threshold: budget });
  const notification = amount(field(data, "NotificationThresholdAmount"));
  if (notification !== null) out.push({ ...value("Notification threshold", null), value: notification });
  return out;
}

/** Longest impactedServices JSON string that is parsed. */
const MAX_EMBEDDED_JSON = 100_000;

/**
 * Service health `impactedServices` (a JSON-encoded string in most payloads, a real array in the 2025
 * test payload): one "Impacted service" value per service, e.g. "Virtual Machines (Australia East)".
 */
function serviceHealthValues(properties: unknown): AlertValue[] {
  let services = field(properties, "impactedServices");
  if (typeof services === "string" && services.length <= MAX_EMBEDDED_JSON) {
    try {
      services = JSON.parse(services) as unknown;
    } catch {
      services = undefined;
    }
  }
  if (!Array.isArray(services)) return [];
  const out: AlertValue[] = [];
  for (const service of services.slice(0, MAX_LIST_ITEMS)) {
    const name = line(field(service, "ServiceName"));
    if (name === null) continue;
    const regions = (list(service, "ImpactedRegions") ?? [])
      .map((r) => line(field(r, "RegionName")))
      .filter((r): r is string => r !== null);
    out.push(value("Impacted service", regions.length > 0 ? `${name} (${regions.join(", ")})` : name));
  }
  return out;
}

/** Resource health: the current health status ("Unavailable", "Degraded", ...). */
function resourceHealthValues(properties: unknown): AlertValue[] {
  const current = line(field(properties, "currentHealthStatus"));
  return current === null ? [] : [value("Health status", current)];
}

/** Smart detectors: the detected value vs the normal value (both text, e.g. "0.45 sec"). */
export function smartDetectorValues(context: unknown): AlertValue[] {
  const rate = field(context, "DetectedFailureRate");
  if (rate !== undefined) return [value("Failure rate", rate, field(context, "NormalFailureRate"))];
  const detected = field(context, "DetectedValue");
  if (detected !== undefined) return [value("Detected value", detected, field(context, "NormalValue"))];
  return [];
}

/** Prometheus: the rule expression and the value it evaluated to. */
export function prometheusValues(context: unknown): AlertValue[] {
  const expression = line(field(context, "expression"), 500);
  const observed = field(context, "expressionValue");
  if (expression === null && observed === undefined) return [];
  return [value(expression ?? "Expression", observed)];
}

/** Dimensions of metric/log criteria as "name=value" strings, for alert identity hashes. */
export function criteriaIdentity(condition: unknown): unknown[] {
  return (list(condition, "allOf") ?? []).map((criterion) => ({
    metric: firstLine(field(criterion, "metricName"), field(criterion, "metricMeasureColumn")),
    namespace: line(field(criterion, "metricNamespace")),
    dimensions: dimensionsIdentity(field(criterion, "dimensions")),
  }));
}

export function dimensionsIdentity(dimensions: unknown): string[] {
  if (!Array.isArray(dimensions)) return [];
  return dimensions
    .slice(0, MAX_LIST_ITEMS)
    .map((d) => `${line(field(d, "name")) ?? ""}=${line(field(d, "value")) ?? ""}`);
}

/** Activity log events: service health lists impacted services, resource health its health status. */
export function activityValues(properties: unknown): AlertValue[] {
  if (hasField(properties, "impactedServices")) return serviceHealthValues(properties);
  if (hasField(properties, "currentHealthStatus")) return resourceHealthValues(properties);
  return [];
}

/**
 * Turns whatever an Azure Monitor action group posts into the app's internal alert.
 *
 * `normalizeAlert(payload)` takes the parsed JSON body and never throws and never mutates it. It
 * recognises the payload by `schemaId` first:
 *
 * | schemaId                              | schema label              |
 * |---------------------------------------|---------------------------|
 * | azureMonitorCommonAlertSchema         | common                    |
 * | AzureMonitorMetricAlert               | AzureMonitorMetricAlert   |
 * | Microsoft.Insights/LogAlert           | app-insights-log          |
 * | Microsoft.Insights/activityLogs       | activity-log              |
 * | AIP Budget Notification               | budget                    |
 *
 * (compared case-insensitively), and, with no or an unknown schemaId, by structure: `data.essentials`
 * (common), `properties.essentials` (smart-detector: the Failure Anomalies alert resource),
 * `data.context.activityLog`, `data.context`, top-level `status`+`context` (classic-metric), top-level
 * `AlertRuleName` (log-analytics), `data.AlertRuleName`, `data.BudgetName`.
 *
 * A payload chosen for a shape but missing that shape's core (e.g. a common envelope without
 * essentials), and any other valid JSON, is "unrecognized", with a reason and a fingerprint (sha256 of
 * its canonical JSON) so that redeliveries of the same payload deduplicate.
 *
 * Decisions (see the helpers for details):
 * - alertId: the payload's alert instance id (common `essentials.alertId`, the alert resource `id`);
 *   otherwise `<schema>:<sha256>` of the identifying fields (rule, targets, time, dimensions), never the
 *   status, so redelivery is stable and a resolved payload matches its fired one when it carries the same
 *   identifying fields. Legacy metric payloads carry the notification time, so their resolved
 *   notification gets its own alertId.
 * - isTest: IsSynthetic "True", a rule named "Test Action…", or the test-action sentinel ids
 *   (alertId ending in Test_Alert or in a sample GUID such as 12345678-1234-1234-1234-1234567890ab).
 * - link: a payload link only when it is https to an Azure portal host; otherwise the portal's alert
 *   details blade when alertId is an Azure resource path; otherwise null.
 * - caps: text 2,000 characters, lists 100 items, links 8,192 characters.
 * - condition: Fired/Activated/Active → fired, Resolved/Deactivated → resolved; a missing or unknown
 *   condition counts as fired (action groups notify on firing).
 * - severity: Sev0–Sev4 or legacy 0–4; anything else (e.g. Log Analytics' "Warning") is null rather
 *   than a guess.
 */
import type { ShapeResult } from "./alert-fields.ts";
import { normalizeCommonSchema } from "./common-schema.ts";
import { canonicalSha256 } from "../hashing.ts";
import { field, isRecord, line, record, type JsonRecord } from "./json-access.ts";
import {
  normalizeActivityLog,
  normalizeAlertsManagementResource,
  normalizeBudget,
  normalizeClassicMetric,
  normalizeLogSearchV1,
  normalizeMetricAlertV2,
} from "./legacy-schemas.ts";
import type { NormalizeResult } from "./model.ts";

export function normalizeAlert(payload: unknown): NormalizeResult {
  try {
    return normalize(payload);
  } catch {
    // Only non-JSON input (throwing getters, proxies) can get here.
    return unrecognized("the payload could not be read", payload);
  }
}

const BY_SCHEMA_ID: Readonly<Record<string, (payload: JsonRecord) => ShapeResult>> = {
  azuremonitorcommonalertschema: normalizeCommonSchema,
  azuremonitormetricalert: normalizeMetricAlertV2,
  "microsoft.insights/logalert": (p) => normalizeLogSearchV1(record(p, "data"), "app-insights-log"),
  "microsoft.insights/activitylogs": normalizeActivityLog,
  "aip budget notification": normalizeBudget,
};

function normalize(payload: unknown): NormalizeResult {
  if (!isRecord(payload))
    return unrecognized(`the payload is ${describe(payload)}, not a JSON object`, payload);
  const schemaId = line(field(payload, "schemaId"), 100);
  const key = schemaId?.toLowerCase().replace(/\s+/g, " ");
  const bySchemaId = key !== undefined && Object.hasOwn(BY_SCHEMA_ID, key) ? BY_SCHEMA_ID[key] : undefined;
  const result = bySchemaId ? bySchemaId(payload) : byStructure(payload);
  if (result === null) {
    const keys = Object.keys(payload)
      .sort()
      .slice(0, 8)
      .map((k) => line(k, 40) ?? "")
      .join(", ");
    const what = schemaId === null ? "no schemaId" : `unknown schemaId ${JSON.stringify(schemaId)}`;
    return unrecognized(
      `${what} and no known Azure Monitor alert shape (top-level keys: ${keys === "" ? "none" : keys})`,
      payload,
    );
  }
  return result.ok ? { kind: "alert", alert: result.alert } : unrecognized(result.reason, payload);
}

/** Shape detection for payloads without a known schemaId. */
function byStructure(payload: JsonRecord): ShapeResult | null {
  const data = record(payload, "data");
  if (record(data, "essentials")) return normalizeCommonSchema(payload);
  if (record(record(payload, "properties"), "essentials")) return normalizeAlertsManagementResource(payload);
  const dataContext = record(data, "context");
  if (record(dataContext, "activityLog")) return normalizeActivityLog(payload);
  if (dataContext) return normalizeMetricAlertV2(payload);
  if (record(payload, "context") && field(payload, "status") !== undefined)
    return normalizeClassicMetric(payload);
  if (line(field(payload, "AlertRuleName")) !== null) return normalizeLogSearchV1(payload, "log-analytics");
  if (line(field(data, "AlertRuleName")) !== null) return normalizeLogSearchV1(data, "app-insights-log");
  if (line(field(data, "BudgetName")) !== null) return normalizeBudget(payload);
  return null;
}

function unrecognized(reason: string, payload: unknown): NormalizeResult {
  let fingerprint: string;
  try {
    fingerprint = canonicalSha256(payload);
  } catch {
    fingerprint = canonicalSha256(`unreadable ${typeof payload}`);
  }
  return { kind: "unrecognized", reason, fingerprint };
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value === undefined) return "empty";
  return `a ${typeof value}`;
}

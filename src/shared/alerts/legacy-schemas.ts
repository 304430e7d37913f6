/**
 * The non-common ("legacy") payloads an action group sends when the common schema is off, and the
 * Failure Anomalies webhook. None of them carries an alert instance id, so their alertId is a stable
 * hash of the fields that identify the instance (see `hashedAlertId`), never of the status: the same
 * payload redelivered hashes the same, and a resolved payload hashes like its fired one whenever it
 * carries the same identifying fields.
 */
import {
  activityValues,
  budgetValues,
  classicConditionValues,
  criteriaIdentity,
  criteriaValues,
  dimensionsIdentity,
  hashedAlertId,
  idText,
  isResourcePath,
  isTestAlert,
  lastSegment,
  logV1Values,
  parseCondition,
  parseSeverity,
  parseSignalType,
  pickLink,
  smartDetectorValues,
  type ShapeResult,
} from "./alert-fields.ts";
import { asList, field, firstLine, hasField, line, lines, list, multiline, record } from "./json-access.ts";
import type { JsonRecord } from "./json-access.ts";
import type { AlertCondition } from "./model.ts";
import { parseAlertTime } from "./times.ts";

/** schemaId "AzureMonitorMetricAlert": `data.status`, `data.context` with `condition.allOf`. */
export function normalizeMetricAlertV2(payload: JsonRecord): ShapeResult {
  const schema = "AzureMonitorMetricAlert";
  const data = record(payload, "data");
  const context = record(data, "context");
  if (!context) return { ok: false, reason: `${schema} payload without data.context` };
  return metricAlert(schema, field(data, "status"), context);
}

/** Classic metric alerts: no schemaId; `status`, `context` (flat `condition`) and `properties` at the top. */
export function normalizeClassicMetric(payload: JsonRecord): ShapeResult {
  const context = record(payload, "context");
  if (!context) return { ok: false, reason: "classic metric alert without a context object" };
  return metricAlert("classic-metric", field(payload, "status"), context);
}

function metricAlert(schema: string, status: unknown, context: JsonRecord): ShapeResult {
  if (!hasField(context, "id", "name", "resourceId", "condition")) {
    return { ok: false, reason: `${schema} context has none of id, name, resourceId, condition` };
  }
  const condition = parseCondition(status) ?? "fired";
  const ruleId = idText(field(context, "id"), "rule");
  const name = line(field(context, "name"));
  const target = idText(field(context, "resourceId"), "target");
  const time = parseAlertTime(field(context, "timestamp"));
  const criteria = record(context, "condition");
  const isClassic = schema === "classic-metric" && !list(criteria, "allOf");
  const alertId = hashedAlertId(schema, {
    ruleId,
    rule: name,
    target,
    timestamp: line(field(context, "timestamp")),
    criteria: isClassic ? [line(field(criteria, "metricName"))] : criteriaIdentity(criteria),
  });
  const conditionType = line(field(context, "conditionType"));
  return {
    ok: true,
    alert: {
      schema,
      monitoringService: "Platform",
      alertId,
      rule: name ?? (ruleId === null ? null : lastSegment(ruleId)) ?? "unknown-rule",
      ruleId,
      severity: parseSeverity(field(context, "severity")),
      condition,
      targets: target === null ? [] : [target],
      signalType: conditionType !== null && /^event$/i.test(conditionType) ? "Activity Log" : "Metric",
      description: multiline(field(context, "description")),
      ...times(condition, time),
      values: isClassic
        ? classicConditionValues(criteria)
        : criteriaValues(criteria, field(context, "conditionType")),
      link: pickLink([field(context, "portalLink")], alertId),
      isTest: isTestAlert({ rule: name }),
    },
  };
}

/** A legacy status payload's one timestamp is the firing time, or the resolution time when resolved. */
function times(
  condition: AlertCondition,
  time: string | null,
): { firedAt: string | null; resolvedAt: string | null } {
  return condition === "resolved" ? { firedAt: null, resolvedAt: time } : { firedAt: time, resolvedAt: null };
}

/**
 * Log search alerts v1 without the common schema: flat Log Analytics payloads (no schemaId) and
 * Application Insights ones (schemaId "Microsoft.Insights/LogAlert", fields under `data`).
 */
export function normalizeLogSearchV1(
  data: JsonRecord | undefined,
  schema: "log-analytics" | "app-insights-log",
): ShapeResult {
  if (!data || !hasField(data, "AlertRuleName", "SearchQuery")) {
    return { ok: false, reason: `${schema} payload without AlertRuleName or SearchQuery` };
  }
  const rule = line(field(data, "AlertRuleName"));
  const searchResult = record(data, "SearchResult", "SearchResults");
  const dataSources = (list(searchResult, "dataSources") ?? []).map((s) => field(s, "resourceId"));
  const targets = lines([field(data, "ResourceId"), ...(field(data, "ResourceId") ? [] : dataSources)]);
  const start = field(data, "SearchIntervalStartTimeUtc");
  const end = field(data, "SearchIntervalEndtimeUtc", "SearchIntervalEndTimeUtc");
  const alertId = hashedAlertId(schema, {
    rule,
    targets,
    workspace: firstLine(field(data, "WorkspaceId"), field(data, "ApplicationId")),
    start: line(start),
    end: line(end),
    query: line(field(data, "SearchQuery")),
    dimensions: dimensionsIdentity(field(data, "Dimensions")),
    configurationItems: lines(list(data, "AffectedConfigurationItems")),
  });
  return {
    ok: true,
    alert: {
      schema,
      monitoringService: schema === "log-analytics" ? "Log Analytics" : "Application Insights",
      alertId,
      rule: rule ?? "unknown-rule",
      ruleId: null,
      severity: parseSeverity(field(data, "Severity")),
      condition: "fired",
      targets,
      signalType: "Log",
      description: multiline(field(data, "Description")),
      // v1 payloads carry no firing time; the end of the evaluated interval is when the rule fired.
      firedAt: parseAlertTime(end),
      resolvedAt: null,
      values: logV1Values(data),
      link: pickLink(
        [field(data, "LinkToFilteredSearchResultsUI"), field(data, "LinkToSearchResults")],
        alertId,
      ),
      isTest: isTestAlert({ rule }),
    },
  };
}

/** The common schema's monitoringService for a legacy activity log eventSource. */
const ACTIVITY_SERVICES: Readonly<Record<string, string>> = {
  administrative: "Activity Log - Administrative",
  policy: "Activity Log - Policy",
  autoscale: "Activity Log - Autoscale",
  security: "Activity Log - Security",
  recommendation: "Activity Log - Recommendation",
  servicehealth: "ServiceHealth",
  resourcehealth: "Resource Health",
};

/** schemaId "Microsoft.Insights/activityLogs": `data.status` and `data.context.activityLog`. */
export function normalizeActivityLog(payload: JsonRecord): ShapeResult {
  const data = record(payload, "data");
  const context = record(data, "context");
  const event = record(context, "activityLog");
  if (!event) return { ok: false, reason: "activity log alert without data.context.activityLog" };
  if (!hasField(event, "operationName", "eventSource", "eventDataId", "resourceId")) {
    return {
      ok: false,
      reason: "activity log event has none of operationName, eventSource, eventDataId, resourceId",
    };
  }
  const eventSource = line(field(event, "eventSource"), 100);
  const sourceKey = eventSource?.toLowerCase().replace(/\s+/g, "") ?? "";
  const properties = record(event, "properties");
  const ruleName = line(field(context, "name"));
  const ruleId = idText(field(context, "id"), "rule");
  const targets = lines(asList(field(event, "resourceId")));
  const condition = parseCondition(field(data, "status")) ?? "fired";
  const alertId = hashedAlertId("activity-log", {
    ruleId,
    rule: ruleName,
    eventDataId: line(field(event, "eventDataId")),
    operationId: line(field(event, "operationId")),
    correlationId: line(field(event, "correlationId")),
    operationName: line(field(event, "operationName")),
    targets,
    eventTimestamp: line(field(event, "eventTimestamp")),
  });
  return {
    ok: true,
    alert: {
      schema: "activity-log",
      monitoringService:
        (Object.hasOwn(ACTIVITY_SERVICES, sourceKey) ? ACTIVITY_SERVICES[sourceKey] : undefined) ??
        (eventSource === null ? "Activity Log" : `Activity Log - ${eventSource}`),
      alertId,
      rule: ruleName ?? line(field(event, "operationName")) ?? "unknown-rule",
      ruleId,
      severity: null,
      condition,
      targets,
      signalType: "Activity Log",
      description: multiline(field(event, "description")) ?? multiline(field(properties, "title")),
      firedAt:
        parseAlertTime(field(event, "eventTimestamp")) ?? parseAlertTime(field(event, "submissionTimestamp")),
      resolvedAt: null,
      values: activityValues(properties),
      link: pickLink([field(context, "portalLink")], alertId),
      isTest: isTestAlert({ rule: ruleName, eventProperties: properties }),
    },
  };
}

/** schemaId "AIP Budget Notification": flat budget fields under `data`, amounts as plain numeric strings. */
export function normalizeBudget(payload: JsonRecord): ShapeResult {
  const data = record(payload, "data");
  if (!data || !hasField(data, "BudgetName", "Budget", "SpendingAmount")) {
    return { ok: false, reason: "budget notification without BudgetName, Budget or SpendingAmount" };
  }
  const budgetName = line(field(data, "BudgetName"));
  const alertId = hashedAlertId("budget", {
    budget: budgetName,
    subscriptionId: line(field(data, "SubscriptionId")),
    resourceGroup: line(field(data, "ResourceGroup")),
    budgetStartDate: line(field(data, "BudgetStartDate")),
    notificationThreshold: line(field(data, "NotificationThresholdAmount")),
    spending: line(field(data, "SpendingAmount")),
  });
  return {
    ok: true,
    alert: {
      schema: "budget",
      monitoringService: "Budget",
      alertId,
      rule: budgetName ?? "unknown-rule",
      ruleId: null,
      severity: null,
      condition: "fired",
      targets: [],
      signalType: null,
      description: null,
      firedAt: null,
      resolvedAt: null,
      values: budgetValues(data),
      link: null,
      isTest: false,
    },
  };
}

/**
 * The Failure Anomalies (smart detector) webhook: an AlertsManagement alert resource, `id` being the
 * alert instance id, `properties.essentials` (with `monitorService`, not `monitoringService`) and
 * `properties.context` (which misspells `FormattedOccurenceTime`).
 */
export function normalizeAlertsManagementResource(payload: JsonRecord): ShapeResult {
  const properties = record(payload, "properties");
  const essentials = record(properties, "essentials");
  if (!essentials) return { ok: false, reason: "alert resource without properties.essentials" };
  if (
    !hasField(essentials, "alertRule", "monitorService", "targetResource") &&
    line(field(payload, "id")) === null
  ) {
    return {
      ok: false,
      reason: "alert resource has no id and its essentials none of alertRule, monitorService, targetResource",
    };
  }
  const context = record(properties, "context");
  const ruleRef = line(field(essentials, "alertRule"));
  const ruleId = ruleRef !== null && isResourcePath(ruleRef) ? idText(ruleRef, "rule") : null;
  const rule =
    line(field(payload, "name")) ?? (ruleRef === null ? null : lastSegment(ruleRef)) ?? "unknown-rule";
  const targets = lines(asList(field(essentials, "targetResource")));
  const started = field(essentials, "startDateTime");
  const alertId =
    idText(field(payload, "id"), "smart-detector") ??
    hashedAlertId("smart-detector", {
      ruleId,
      rule,
      targets,
      started: line(started),
      sourceCreatedId: line(field(essentials, "sourceCreatedId")),
    });
  return {
    ok: true,
    alert: {
      schema: "smart-detector",
      monitoringService:
        line(field(essentials, "monitorService", "monitoringService"), 200) ?? "Smart Detector",
      alertId,
      rule,
      ruleId,
      severity: parseSeverity(field(essentials, "severity")),
      condition: parseCondition(field(essentials, "monitorCondition")) ?? "fired",
      targets,
      signalType: parseSignalType(field(essentials, "signalType")),
      description:
        multiline(field(essentials, "description")) ?? multiline(field(context, "DetectionSummary")),
      firedAt:
        parseAlertTime(started) ??
        parseAlertTime(field(context, "FormattedOccurenceTime", "FormattedOccurrenceTime")),
      resolvedAt: parseAlertTime(field(essentials, "monitorConditionResolvedDateTime")),
      values: smartDetectorValues(context),
      link: pickLink([], alertId),
      isTest: isTestAlert({ alertId, rule }),
    },
  };
}

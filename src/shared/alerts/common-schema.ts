/**
 * The common alert schema (schemaId "azureMonitorCommonAlertSchema"): `data.essentials` is the same for
 * every monitoring service; `data.alertContext` depends on it. The context is recognised by its content
 * rather than by `monitoringService`, so a new or renamed service still normalises (its name is kept as
 * given).
 */
import {
  activityValues,
  budgetValues,
  criteriaValues,
  hashedAlertId,
  idText,
  isTestAlert,
  logV1Values,
  parseCondition,
  parseSeverity,
  parseSignalType,
  pickLink,
  prometheusValues,
  smartDetectorValues,
  type ShapeResult,
} from "./alert-fields.ts";
import { asList, field, firstLine, hasField, line, lines, list, multiline, record } from "./json-access.ts";
import type { JsonRecord } from "./json-access.ts";
import type { AlertValue, NormalizedAlert } from "./model.ts";
import { parseAlertTime } from "./times.ts";

type ContextKind = "criteria" | "log-v1" | "budget" | "activity" | "smart" | "prometheus" | "none";

function classifyContext(context: JsonRecord | undefined): ContextKind {
  if (!context) return "none";
  if (record(context, "AlertData") || /^budgets?$/i.test(line(field(context, "AlertCategory")) ?? "")) {
    return "budget";
  }
  if (list(record(context, "condition"), "allOf")) return "criteria";
  if (hasField(context, "SearchQuery", "ResultCount", "SearchResults", "AlertType")) return "log-v1";
  if (hasField(context, "DetectionSummary", "SmartDetectorId", "SmartDetectorName")) return "smart";
  if (hasField(context, "expression", "expressionValue", "ruleGroup")) return "prometheus";
  if (hasField(context, "operationName", "eventSource", "eventDataId")) return "activity";
  return "none";
}

export function normalizeCommonSchema(payload: JsonRecord): ShapeResult {
  const data = record(payload, "data");
  if (!data) return { ok: false, reason: "common alert schema envelope without a data object" };
  const essentials = record(data, "essentials");
  if (!essentials) return { ok: false, reason: "common alert schema envelope without data.essentials" };

  const givenAlertId = idText(field(essentials, "alertId"), "common");
  const givenRule = line(field(essentials, "alertRule"));
  const service = line(field(essentials, "monitoringService"), 200);
  const rawCondition = field(essentials, "monitorCondition");
  if (givenAlertId === null && givenRule === null && service === null && line(rawCondition) === null) {
    return {
      ok: false,
      reason: "data.essentials has none of alertId, alertRule, monitoringService, monitorCondition",
    };
  }

  const context = record(data, "alertContext");
  const kind = classifyContext(context);
  const condition = record(context, "condition");
  const criteria = list(condition, "allOf") ?? [];
  const eventProperties = kind === "activity" ? record(context, "properties") : undefined;
  const budget = kind === "budget" ? (record(context, "AlertData") ?? context) : undefined;

  const rule =
    givenRule ??
    firstLine(
      field(budget, "BudgetName"),
      kind === "activity" ? field(context, "operationName") : undefined,
      field(record(context, "labels"), "alertname"),
      field(context, "SmartDetectorName"),
    ) ??
    "unknown-rule";
  const ruleId =
    idText(field(essentials, "alertRuleId", "alertRuleID"), "rule") ??
    idText(field(budget, "BudgetId"), "rule");
  const targets = lines(asList(field(essentials, "alertTargetIDs", "alertTargetIds")));
  const originAlertId = field(essentials, "originAlertId");

  const alertId =
    givenAlertId ??
    hashedAlertId("common", {
      rule: givenRule,
      ruleId,
      service,
      targets,
      originAlertId: line(originAlertId),
      firedDateTime: line(field(essentials, "firedDateTime")),
    });

  const linkCandidates: unknown[] = [];
  for (const criterion of criteria) {
    linkCandidates.push(
      field(criterion, "linkToFilteredSearchResultsUI"),
      field(criterion, "linkToSearchResultsUI"),
    );
  }
  linkCandidates.push(
    field(context, "LinkToFilteredSearchResultsUI"),
    field(context, "LinkToSearchResults"),
    field(context, "portalLink"),
    field(essentials, "investigationLink"),
  );

  const alert: NormalizedAlert = {
    schema: "common",
    monitoringService: service ?? "unknown",
    alertId,
    rule,
    ruleId,
    severity: parseSeverity(field(essentials, "severity")),
    condition: parseCondition(rawCondition) ?? "fired",
    targets,
    signalType: parseSignalType(field(essentials, "signalType")),
    description:
      multiline(field(essentials, "description")) ??
      (kind === "activity"
        ? (multiline(field(context, "Activity Log Event Description")) ??
          multiline(field(eventProperties, "title")))
        : null) ??
      (kind === "prometheus"
        ? multiline(field(record(context, "annotations"), "description", "summary"))
        : null) ??
      (kind === "smart" ? multiline(field(context, "DetectionSummary")) : null),
    firedAt: parseAlertTime(field(essentials, "firedDateTime")),
    resolvedAt: parseAlertTime(field(essentials, "resolvedDateTime")),
    values: contextValues(kind, context, condition, budget, eventProperties),
    link: pickLink(linkCandidates, alertId),
    isTest: isTestAlert({ alertId, originAlertId, rule: givenRule, eventProperties }),
  };
  return { ok: true, alert };
}

function contextValues(
  kind: ContextKind,
  context: JsonRecord | undefined,
  condition: JsonRecord | undefined,
  budget: JsonRecord | undefined,
  eventProperties: JsonRecord | undefined,
): AlertValue[] {
  switch (kind) {
    case "criteria":
      return criteriaValues(condition, field(context, "conditionType"));
    case "log-v1":
      return logV1Values(context);
    case "budget":
      return budgetValues(budget);
    case "smart":
      return smartDetectorValues(context);
    case "prometheus":
      return prometheusValues(context);
    case "activity":
      return activityValues(eventProperties);
    case "none":
      return [];
  }
}

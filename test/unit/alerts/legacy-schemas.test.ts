/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- tests read and edit parsed JSON samples freely */
import { describe, expect, it } from "vitest";
import { normalizeAlert } from "../../../src/shared/alerts/normalize.ts";
import { PORTAL_BLADE, alertOf, sample, shared } from "./helpers.ts";

describe("classic metric alerts (no schemaId; status/context/properties at the top)", () => {
  it("Activated: rule, rule id, target, string metric value/threshold as numbers, portal link", () => {
    const alert = alertOf(sample("legacy-classic-metric-activated.json"));
    expect(alert).toMatchObject({
      schema: "classic-metric",
      monitoringService: "Platform",
      rule: "ruleName1",
      ruleId: "/subscriptions/s1/resourceGroups/useast/providers/microsoft.insights/alertrules/ruleName1",
      severity: null,
      condition: "fired",
      targets: ["/subscriptions/s1/resourceGroups/useast/providers/microsoft.foo/sites/mysite1"],
      signalType: "Metric",
      description: "some description",
      firedAt: "2015-08-14T22:26:41.997Z",
      resolvedAt: null,
      values: [
        {
          name: "Requests",
          value: 10,
          threshold: 10,
          operator: "GreaterThanOrEqual",
          aggregation: "Average",
        },
      ],
      link: "https://portal.azure.com/#resource/subscriptions/s1/resourceGroups/useast/providers/microsoft.foo/sites/mysite1",
      isTest: false,
    });
    expect(alert.alertId).toMatch(/^classic-metric:[0-9a-f]{64}$/);
  });

  it("Resolved: condition resolved, its timestamp is the resolution time", () => {
    expect(alertOf(sample("legacy-classic-metric-resolved-same-trigger-timestamp.json"))).toMatchObject({
      condition: "resolved",
      firedAt: null,
      resolvedAt: "2015-08-14T22:26:41.997Z",
    });
  });

  it("conditionType Event is an activity-log signal", () => {
    const payload = sample("legacy-classic-metric-activated.json");
    payload.context.conditionType = "Event";
    expect(alertOf(payload).signalType).toBe("Activity Log");
  });
});

describe("schemaId AzureMonitorMetricAlert", () => {
  it("static threshold: severity '3' (a string) becomes Sev3", () => {
    expect(alertOf(shared("legacy-metric-alert-v2-static-threshold.json")).severity).toBe("Sev3");
  });

  it("dynamic threshold: criteria values and rule id", () => {
    expect(alertOf(sample("legacy-metric-alert-v2-dynamic-threshold.json"))).toMatchObject({
      schema: "AzureMonitorMetricAlert",
      rule: "test-metricAlertRule",
      severity: "Sev3",
      values: [
        {
          name: "Transactions",
          value: 78.09,
          threshold: 0.3,
          operator: "GreaterThan",
          aggregation: "Average",
        },
      ],
    });
  });

  it.each([
    ["Activated", "fired"],
    ["activated", "fired"],
    ["Deactivated", "resolved"],
    ["Resolved", "resolved"],
  ])("data.status %s → %s", (status, condition) => {
    const payload = shared("legacy-metric-alert-v2-static-threshold.json");
    payload.data.status = status;
    const alert = alertOf(payload);
    expect(alert.condition).toBe(condition);
    const time = "2021-11-15T09:35:12.970Z";
    expect([alert.firedAt, alert.resolvedAt]).toEqual(condition === "fired" ? [time, null] : [null, time]);
  });

  it("without its schemaId it is still recognised by data.context", () => {
    const payload = shared("legacy-metric-alert-v2-static-threshold.json");
    delete payload.schemaId;
    expect(alertOf(payload).schema).toBe("AzureMonitorMetricAlert");
  });

  it("without data.context it is unrecognized", () => {
    expect(
      normalizeAlert({ schemaId: "AzureMonitorMetricAlert", data: { status: "Activated" } }),
    ).toMatchObject({
      kind: "unrecognized",
      reason: "AzureMonitorMetricAlert payload without data.context",
    });
  });
});

describe("log search alerts v1 without the common schema", () => {
  it("Log Analytics (flat, no schemaId): rule, severity '3', ResourceId target, end of interval as firing time", () => {
    const alert = alertOf(sample("legacy-log-analytics-v1-metric-measurement.json"));
    expect(alert).toMatchObject({
      schema: "log-analytics",
      monitoringService: "Log Analytics",
      rule: "test-logAlertRule-v1-metricMeasurement",
      severity: "Sev3",
      condition: "fired",
      targets: [
        "/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/test-RG/providers/Microsoft.OperationalInsights/workspaces/test-logAnalyticsWorkspace",
      ],
      signalType: "Log",
      firedAt: "2021-11-16T15:16:49.000Z",
      values: [{ name: "Result count", value: 2, threshold: 0, operator: "Greater Than", aggregation: null }],
    });
    expect(alert.link).toMatch(/^https:\/\/portal\.azure\.com\/#@aaaaaaaa/);
  });

  it("Log Analytics legacy severity words ('Warning') are not guessed: severity null", () => {
    const alert = alertOf(sample("legacy-log-analytics-v1-word-severity-no-resource-id.json"));
    expect(alert).toMatchObject({
      rule: "AcmeRule",
      severity: null,
      targets: [],
      description: "log alert rule",
    });
  });

  it("Log Analytics without ResourceId takes its targets from the search result's data sources", () => {
    const payload = sample("legacy-log-analytics-v1-metric-measurement.json");
    delete payload.ResourceId;
    expect(alertOf(payload).targets).toEqual([
      "/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourcegroups/test-RG/providers/microsoft.operationalinsights/workspaces/test-logAnalyticsWorkspace",
    ]);
  });

  it("Application Insights (schemaId Microsoft.Insights/LogAlert): fields under data", () => {
    expect(alertOf(sample("legacy-app-insights-logalert.json"))).toMatchObject({
      schema: "app-insights-log",
      monitoringService: "Application Insights",
      rule: "AcmeRule",
      severity: "Sev3",
      description: null,
      firedAt: "2018-03-26T09:10:40.000Z",
      values: [{ name: "Result count", value: 2, threshold: 0, operator: "Greater Than" }],
    });
  });
});

describe("activity log alerts without the common schema (schemaId Microsoft.Insights/activityLogs)", () => {
  it("Administrative: rule falls back to operationName, target from activityLog.resourceId, no severity", () => {
    const alert = alertOf(sample("legacy-activitylog-administrative.json"));
    expect(alert).toMatchObject({
      schema: "activity-log",
      monitoringService: "Activity Log - Administrative",
      rule: "Microsoft.Compute/virtualMachines/restart/action",
      ruleId: null,
      severity: null,
      condition: "fired",
      targets: [
        "/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/test-RG/providers/Microsoft.Compute/virtualMachines/test-VM",
      ],
      signalType: "Activity Log",
      description: null,
      firedAt: "2021-11-16T08:27:36.183Z",
      values: [],
      link: null,
      isTest: false,
    });
    expect(alert.alertId).toMatch(/^activity-log:[0-9a-f]{64}$/);
  });

  it("ServiceHealth: lowercase isSynthetic 'True' marks a test; impactedServices string parsed; no targets", () => {
    expect(alertOf(sample("legacy-activitylog-servicehealth-issynthetic-lowercase.json"))).toMatchObject({
      monitoringService: "ServiceHealth",
      rule: "Microsoft.ServiceHealth/incident/action",
      targets: [],
      values: [{ name: "Impacted service", value: "Azure Service Name (Global)" }],
      isTest: true,
    });
  });

  it("ResourceHealth: 'Resource Health' service, health status, title as description", () => {
    expect(alertOf(sample("legacy-activitylog-resourcehealth.json"))).toMatchObject({
      monitoringService: "Resource Health",
      description: "Rebooted by user",
      values: [{ name: "Health status", value: "Unavailable" }],
    });
  });

  it.each([
    [
      "legacy-activitylog-security.json",
      "Activity Log - Security",
      "Microsoft.Security/locations/alerts/activate/action",
    ],
    [
      "legacy-activitylog-recommendation.json",
      "Activity Log - Recommendation",
      "Microsoft.Advisor/recommendations/available/action",
    ],
  ])("%s → %s", (file, service, rule) => {
    const alert = alertOf(sample(file));
    expect(alert).toMatchObject({
      monitoringService: service,
      rule,
      condition: "fired",
      targets: [expect.any(String)],
    });
    expect(alert.description).not.toBeNull();
  });

  it("an unmapped eventSource is kept in the service name", () => {
    const payload = sample("legacy-activitylog-administrative.json");
    payload.data.context.activityLog.eventSource = "Alert";
    expect(alertOf(payload).monitoringService).toBe("Activity Log - Alert");
  });

  it("without data.context.activityLog it is unrecognized", () => {
    expect(
      normalizeAlert({ schemaId: "Microsoft.Insights/activityLogs", data: { status: "Activated" } }).kind,
    ).toBe("unrecognized");
  });
});

describe("budget notifications without the common schema (schemaId AIP Budget Notification)", () => {
  it("plain numeric-string amounts; budget name as rule; no severity, targets or firing time", () => {
    const alert = alertOf(sample("legacy-budget-aip-notification-plain-amounts.json"));
    expect(alert).toMatchObject({
      schema: "budget",
      monitoringService: "Budget",
      rule: "test-budgetName",
      severity: null,
      condition: "fired",
      targets: [],
      signalType: null,
      firedAt: null,
      link: null,
      isTest: false,
    });
    expect(alert.values).toEqual([
      { name: "Budget", value: 1111.32, threshold: 10000, operator: null, aggregation: null },
      { name: "Notification threshold", value: 8000, threshold: null, operator: null, aggregation: null },
    ]);
  });
});

describe("Failure Anomalies webhook (AlertsManagement alert resource)", () => {
  it("properties.essentials with monitorService; the resource id is the alertId; resolved with both times", () => {
    const payload = sample("legacy-smart-detector-failure-anomalies-alert-resource.json");
    const alert = alertOf(payload);
    expect(alert).toMatchObject({
      schema: "smart-detector",
      monitoringService: "Smart Detector",
      alertId: payload.id,
      rule: "Failure Anomalies - test-rule",
      ruleId:
        "/subscriptions/4f9b81be-fa32-4f96-aeb3-fc5c3f678df9/resourcegroups/test-group/providers/microsoft.alertsmanagement/smartdetectoralertrules/failure anomalies - test-rule",
      severity: "Sev3",
      condition: "resolved",
      targets: [
        "/subscriptions/4f9b81be-fa32-4f96-aeb3-fc5c3f678df9/resourcegroups/test-group/providers/microsoft.insights/components/test-rule",
      ],
      signalType: "Log",
      firedAt: "2019-10-30T17:52:32.580Z",
      resolvedAt: "2019-10-30T18:25:26.444Z",
      values: [
        {
          name: "Failure rate",
          value: "50.0% (200/400 requests)",
          threshold: "0.0% (over the last 30 minutes)",
          operator: null,
          aggregation: null,
        },
      ],
    });
    expect(alert.link).toBe(`${PORTAL_BLADE}${encodeURIComponent(String(payload.id))}`);
  });

  it("without startDateTime the misspelled FormattedOccurenceTime gives the firing time", () => {
    const payload = sample("legacy-smart-detector-failure-anomalies-alert-resource.json");
    delete payload.properties.essentials.startDateTime;
    expect(alertOf(payload).firedAt).toBe("2019-10-30T17:50:00.000Z");
  });

  it("without name the rule is the last segment of essentials.alertRule", () => {
    const payload = sample("legacy-smart-detector-failure-anomalies-alert-resource.json");
    delete payload.name;
    expect(alertOf(payload).rule).toBe("failure anomalies - test-rule");
  });
});

describe("a known schemaId with nothing identifying in its body", () => {
  it.each([
    [{ schemaId: "AIP Budget Notification", data: {} }],
    [{ schemaId: "Microsoft.Insights/LogAlert", data: {} }],
    [{ schemaId: "Microsoft.Insights/LogAlert" }],
    [{ schemaId: "AzureMonitorMetricAlert", data: { status: "Activated", context: {} } }],
    [
      {
        schemaId: "Microsoft.Insights/activityLogs",
        data: { status: "Activated", context: { activityLog: {} } },
      },
    ],
    [{ properties: { essentials: {} } }],
    [{ status: "Activated", context: {} }],
    [{ schemaId: "SomethingElse", data: { foo: 1 } }],
  ])("%j is unrecognized, with a reason", (payload) => {
    const result = normalizeAlert(payload);
    expect(result.kind).toBe("unrecognized");
    if (result.kind === "unrecognized") expect(result.reason).not.toBe("");
  });

  it("an unknown schemaId is named in the reason", () => {
    expect(normalizeAlert({ schemaId: "SomethingElse" })).toMatchObject({
      reason:
        'unknown schemaId "SomethingElse" and no known Azure Monitor alert shape (top-level keys: schemaId)',
    });
  });
});

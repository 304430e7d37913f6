/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- tests read and edit parsed JSON samples freely */
import { describe, expect, it } from "vitest";
import { normalizeAlert } from "../../../src/shared/alerts/normalize.ts";
import { PORTAL_BLADE, alertOf, sample, shared } from "./helpers.ts";

describe("common alert schema: metric alerts (monitoringService Platform)", () => {
  it("static threshold (SingleResourceMultipleMetricCriteria): string threshold becomes a number, float value kept", () => {
    const alert = alertOf(shared("common-metric-static-resolved-vm-cpu.json"));
    expect(alert.values).toEqual([
      {
        name: "Percentage CPU",
        value: 7.727,
        threshold: 25,
        operator: "GreaterThan",
        aggregation: "Average",
      },
    ]);
  });

  it("static threshold with an int metricValue (100) keeps it as the number 100", () => {
    expect(alertOf(shared("common-testaction-metric-static-threshold.json")).values[0]?.value).toBe(100);
  });

  it("accepts a metric alert without windowStartTime/windowEndTime", () => {
    const payload = shared("common-metric-static-resolved-vm-cpu.json");
    expect(payload.data.alertContext.condition.windowStartTime).toBeUndefined();
    expect(alertOf(payload).values).toHaveLength(1);
  });

  it("dynamic threshold (DynamicThresholdCriteria): the calculated threshold '0.3' becomes 0.3", () => {
    const alert = alertOf(sample("common-metric-dynamic-threshold-testaction.json"));
    expect(alert).toMatchObject({
      rule: "test-dynamicMetricAlertRule",
      severity: "Sev4",
      condition: "fired",
    });
    expect(alert.values).toEqual([
      { name: "Transactions", value: 78.09, threshold: 0.3, operator: "GreaterThan", aggregation: "Average" },
    ]);
  });

  it("MultipleResourceMultipleMetricCriteria: float value, and essentials.investigationLink as the link", () => {
    const alert = alertOf(sample("common-metric-multiple-resource-criteria-investigation-link.json"));
    expect(alert.values).toEqual([
      {
        name: "Available Memory Bytes",
        value: 480142950.4,
        threshold: 1073741824,
        operator: "LessThan",
        aggregation: "Average",
      },
    ]);
    expect(alert.description).toBeNull();
    expect(alert.link).toMatch(
      /^https:\/\/portal\.azure\.com\/#view\/Microsoft_Azure_Monitoring_Alerts\/Investigation\.ReactView\/alertId\//,
    );
  });

  it("availability test (WebtestLocationAvailabilityCriteria): Failed Location vs threshold, null namespace tolerated", () => {
    const alert = alertOf(sample("common-metric-availability-webtest-testaction.json"));
    expect(alert).toMatchObject({
      rule: "test-availabilityTest-test-applicationInsights",
      signalType: "Metric",
      values: [
        { name: "Failed Location", value: 5, threshold: 2, operator: "GreaterThan", aggregation: "Sum" },
      ],
      isTest: true,
    });
  });
});

describe("common alert schema: log search alerts", () => {
  it("Log Alerts V1 (Log Analytics, alertContextVersion 1.1) with US-format interval times, numeric Threshold", () => {
    const alert = alertOf(sample("common-log-v1-log-analytics-us-format-times.json"));
    expect(alert).toMatchObject({
      monitoringService: "Log Analytics",
      rule: "INC-Gen2Alert-cpu",
      severity: "Sev2",
      signalType: "Log",
      firedAt: "2019-03-22T13:52:01.678Z",
      values: [
        { name: "Result count", value: 2, threshold: 10000, operator: "Less Than", aggregation: null },
      ],
    });
    expect(alert.link).toBe(
      "https://portal.azure.com/#Analyticsblade/search/index?_timeInterval.intervalEnd=2018-03-26T09%3a10%3a40.0000000Z&_timeInterval.intervalDuration=3600&q=Usage",
    );
  });

  it("Log Alerts V1 test action carrying both IncludeSearchResults (bool) and IncludedSearchResults ('True'), empty configurationItems", () => {
    const payload = sample("common-log-v1-log-analytics-testaction-include-and-included-search-results.json");
    expect(payload.data.alertContext.IncludeSearchResults).toBe(true);
    expect(payload.data.alertContext.IncludedSearchResults).toBe("True");
    expect(payload.data.essentials.configurationItems).toEqual([]);
    const alert = alertOf(payload);
    expect(alert).toMatchObject({
      rule: "test-logAlertRule-v1-metricMeasurement",
      values: [{ name: "Result count", value: 2, threshold: 0, operator: "Greater Than" }],
      isTest: true,
    });
    expect(alert.link).toMatch(/^https:\/\/portal\.azure\.com\/#@cccc2222/);
  });

  it("Log Alerts V1 (Application Insights): Threshold 10000.0, LinkToFilteredSearchResultsUI as the link", () => {
    const alert = alertOf(sample("common-log-v1-application-insights-us-format-times.json"));
    expect(alert).toMatchObject({
      monitoringService: "Application Insights",
      rule: "requests-500",
      severity: "Sev1",
      values: [{ name: "Result count", value: 2, threshold: 10000, operator: "Less Than" }],
    });
    expect(alert.link).toMatch(/^https:\/\/portal\.azure\.com\/AnalyticsBlade\/subscriptions\//);
  });

  it("Log Alerts V2 (LogQueryCriteria): value named after metricMeasureColumn; string threshold; targetResourceTypes string; no configurationItems", () => {
    const payload = sample("common-log-v2-metric-measure-column-no-configuration-items.json");
    expect(payload.data.essentials.configurationItems).toBeUndefined();
    expect(payload.data.alertContext.condition.allOf[0].targetResourceTypes).toBe(
      "['Microsoft.Compute/virtualMachines']",
    );
    const alert = alertOf(payload);
    expect(alert).toMatchObject({
      monitoringService: "Log Alerts V2",
      rule: "AcmeRule",
      values: [{ name: "CounterValue", value: 0, threshold: 1, operator: "LowerThan", aggregation: "Count" }],
    });
    expect(alert.link).toMatch(
      /^https:\/\/portal\.azure\.com\/#@aaaabbbb-0000-cccc-1111-dddd2222eeee\/blade\//,
    );
  });

  it("Log Alerts V2 with metricMeasureColumn null names the value 'Result count'", () => {
    const alert = alertOf(shared("common-testaction-log-v2.json"));
    expect(alert.values[0]?.name).toBe("Result count");
  });

  it("Simple Log Alert: null operator, threshold, dimensions and window are tolerated", () => {
    const alert = alertOf(sample("common-log-v2-simple-log-alert-null-criteria.json"));
    expect(alert).toMatchObject({
      monitoringService: "Simple Log Alert",
      values: [{ name: "Result count", value: 1, threshold: null, operator: null, aggregation: null }],
      description: null,
    });
  });
});

describe("common alert schema: activity log alerts", () => {
  it.each([
    ["common-activitylog-policy.json", "Activity Log - Policy", "policy-audit"],
    ["common-activitylog-security.json", "Activity Log - Security", "defender-virus"],
    ["common-activitylog-autoscale.json", "Activity Log - Autoscale", "vmss-scale-out"],
    ["common-activitylog-recommendation.json", "Activity Log - Recommendation", "advisor-recommendations"],
  ])("%s normalises with monitoringService %s", (file, service, rule) => {
    const payload = sample(file);
    const alert = alertOf(payload);
    expect(alert).toMatchObject({
      schema: "common",
      monitoringService: service,
      rule,
      severity: "Sev4",
      condition: "fired",
      signalType: "Activity Log",
      targets: payload.data.essentials.alertTargetIDs,
      values: [],
      isTest: false,
    });
  });

  it("signalType 'ActivityLog' (2025 service health test) and 'Activity Log' both become 'Activity Log'", () => {
    expect(alertOf(shared("common-testaction-service-health.json")).signalType).toBe("Activity Log");
    expect(alertOf(shared("common-testaction-activitylog-administrative.json")).signalType).toBe(
      "Activity Log",
    );
  });

  it("a rule-less activity log alert is named after its operationName", () => {
    const payload = sample("common-activitylog-security.json");
    payload.data.essentials.alertRule = null;
    expect(alertOf(payload).rule).toBe("Microsoft.Security/locations/alerts/activate/action");
  });
});

describe("common alert schema: service health and resource health", () => {
  it("impactedServices as a JSON-encoded string (2021 test action) lists the impacted services", () => {
    const payload = sample("common-servicehealth-2021-impacted-services-string-firedtime-without-z.json");
    expect(typeof payload.data.alertContext.properties.impactedServices).toBe("string");
    expect(alertOf(payload).values).toEqual([
      {
        name: "Impacted service",
        value: "Azure Service Name (Global)",
        threshold: null,
        operator: null,
        aggregation: null,
      },
    ]);
  });

  it("impactedServices as a real array (2025 test action) lists the impacted services", () => {
    const payload = shared("common-testaction-service-health.json");
    expect(Array.isArray(payload.data.alertContext.properties.impactedServices)).toBe(true);
    expect(alertOf(payload).values.map((v) => v.value)).toEqual(["AzureServiceName (Global)"]);
  });

  it("a firedDateTime without 'Z' is read as UTC", () => {
    const payload = sample("common-servicehealth-2021-impacted-services-string-firedtime-without-z.json");
    expect(payload.data.essentials.firedDateTime).toBe("2021-11-17T05:34:48.0623172");
    expect(alertOf(payload).firedAt).toBe("2021-11-17T05:34:48.062Z");
  });

  it("channels/eventSource/level as numbers and as strings both normalise", () => {
    const numeric = sample("common-servicehealth-2021-impacted-services-string-firedtime-without-z.json");
    expect([numeric.data.alertContext.channels, numeric.data.alertContext.level]).toEqual([1, 3]);
    const strings = sample("common-servicehealth-maintenance-string-event-source-and-level.json");
    expect(strings.data.alertContext.eventSource).toBe("ServiceHealth");
    expect(alertOf(numeric).monitoringService).toBe("ServiceHealth");
    expect(alertOf(strings)).toMatchObject({
      monitoringService: "ServiceHealth",
      rule: "synapse-maintenance",
      values: [{ name: "Impacted service", value: "Azure Synapse Analytics (East US)" }],
      isTest: false,
    });
  });

  it("service health without configurationItems keeps the subscription target", () => {
    const payload = sample("common-servicehealth-2021-impacted-services-string-firedtime-without-z.json");
    expect(payload.data.essentials.configurationItems).toBeUndefined();
    expect(alertOf(payload).targets).toEqual(["/subscriptions/11111111-1111-1111-1111-111111111111"]);
  });

  it("IsSynthetic 'True' marks a service health alert as a test", () => {
    const payload = sample("common-servicehealth-maintenance-string-event-source-and-level.json");
    payload.data.alertContext.properties.IsSynthetic = "True";
    expect(alertOf(payload).isTest).toBe(true);
  });

  it("unparseable impactedServices text is ignored rather than failing the alert", () => {
    const payload = sample("common-servicehealth-maintenance-string-event-source-and-level.json");
    payload.data.alertContext.properties.impactedServices = "[{not json";
    expect(alertOf(payload).values).toEqual([]);
  });

  it("Resource Health reports the current health status", () => {
    expect(alertOf(sample("common-resourcehealth-testaction.json"))).toMatchObject({
      monitoringService: "Resource Health",
      rule: "test-ResourceHealthAlertRule",
      signalType: "Activity Log",
      values: [{ name: "Health status", value: "Unavailable" }],
      isTest: true,
    });
  });
});

describe("common alert schema: smart detector, budget, Prometheus, unknown services", () => {
  it("Smart Detector: detected vs normal value", () => {
    expect(alertOf(sample("common-smartdetector-testaction.json"))).toMatchObject({
      monitoringService: "SmartDetector",
      rule: "test-SmartAlertRule",
      signalType: "Log",
      values: [{ name: "Detected value", value: "0.45 sec", threshold: "0.27 sec (over the last 7 days)" }],
    });
  });

  it("CostAlerts budget: null rule → budget name, null severity/signalType/targets, '$11,111.00' → 11111", () => {
    const alert = alertOf(sample("common-budget-actual-cost-currency-strings-testaction.json"));
    expect(alert).toMatchObject({
      monitoringService: "CostAlerts",
      rule: "Test_actual_cost_budget",
      ruleId:
        "/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/providers/Microsoft.Consumption/budgets/Test_actual_cost_budget",
      severity: null,
      signalType: null,
      targets: [],
      condition: "fired",
      isTest: true,
    });
    expect(alert.values).toEqual([
      { name: "Budget", value: 11111, threshold: 50, operator: null, aggregation: null },
      { name: "Notification threshold", value: 25, threshold: null, operator: null, aggregation: null },
    ]);
  });

  it("CostAlerts forecasted budget also reports the forecast against the budget", () => {
    const alert = alertOf(sample("common-budget-forecasted-testaction.json"));
    expect(alert.values.map((v) => [v.name, v.value, v.threshold])).toEqual([
      ["Budget", 999.99, 50],
      ["Forecast", 1111.11, 50],
      ["Notification threshold", 50, null],
    ]);
  });

  it("budget amounts in an ambiguous locale format are kept as text, not guessed", () => {
    const payload = sample("common-budget-actual-cost-currency-strings-testaction.json");
    payload.data.alertContext.AlertData.SpentAmount = "1.234,56 €";
    expect(alertOf(payload).values[0]?.value).toBe("1.234,56 €");
  });

  it("Prometheus: the expression and the value it evaluated to, annotation summary as description", () => {
    expect(alertOf(sample("common-prometheus.json"))).toMatchObject({
      monitoringService: "Prometheus",
      rule: "sql-availability",
      severity: "Sev2",
      description: "alert on SQL availability",
      values: [{ name: "sql_up > 0", value: 0, threshold: null }],
    });
  });

  it("an unknown monitoringService in a valid envelope is still an alert, with the service name as given", () => {
    expect(alertOf(sample("common-unknown-monitoring-service.json"))).toMatchObject({
      monitoringService: "Some Future Service",
      rule: "future-signal-rule",
      signalType: "Custom",
      values: [],
    });
  });
});

describe("common alert schema: real-traffic variations", () => {
  it("lowercase enums, alertTargetIds spelling, sev1, unknown extra fields, no description", () => {
    expect(
      alertOf(sample("common-metric-real-traffic-lowercase-enums-alerttargetids-extra-fields.json")),
    ).toMatchObject({
      rule: "web-http5xx",
      severity: "Sev1",
      condition: "fired",
      signalType: "Metric",
      targets: [
        "/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/web-RG/providers/Microsoft.Web/sites/web-1",
      ],
      description: null,
      firedAt: "2024-02-01T10:00:00.123Z",
      values: [{ name: "Http5xx", value: 12, threshold: 10 }],
    });
  });

  it.each([
    ["Fired", "fired"],
    ["fired", "fired"],
    ["FIRED", "fired"],
    ["Resolved", "resolved"],
    ["resolved", "resolved"],
    [" Resolved ", "resolved"],
  ])("monitorCondition %j → %s", (given, condition) => {
    const payload = shared("common-testaction-metric-static-threshold.json");
    payload.data.essentials.monitorCondition = given;
    expect(alertOf(payload).condition).toBe(condition);
  });

  it.each([
    ["Sev0", "Sev0"],
    ["sev4", "Sev4"],
    ["3", "Sev3"],
    [2, "Sev2"],
    [null, null],
    ["Critical", null],
    [7, null],
  ])("severity %j → %j", (given, severity) => {
    const payload = shared("common-testaction-metric-static-threshold.json");
    payload.data.essentials.severity = given;
    expect(alertOf(payload).severity).toBe(severity);
  });

  it("an empty configurationItems list is accepted", () => {
    const payload = shared("common-testaction-metric-static-threshold.json");
    payload.data.essentials.configurationItems = [];
    expect(alertOf(payload).targets).toHaveLength(1);
  });

  it("an envelope whose alertContext is missing or null is still an alert, with no values", () => {
    for (const context of [undefined, null, "not an object"]) {
      const payload = shared("common-testaction-metric-static-threshold.json");
      payload.data.alertContext = context;
      expect(alertOf(payload).values).toEqual([]);
    }
  });

  it("minimal essentials (only alertRule) is an alert: fired, no severity, unknown service, hashed id, no link", () => {
    const alert = alertOf({
      schemaId: "azureMonitorCommonAlertSchema",
      data: { essentials: { alertRule: "r1" } },
    });
    expect(alert).toMatchObject({
      rule: "r1",
      condition: "fired",
      severity: null,
      monitoringService: "unknown",
      targets: [],
      link: null,
      firedAt: null,
    });
    expect(alert.alertId).toMatch(/^common:[0-9a-f]{64}$/);
  });

  it("a rule-less, budget-less alert is called 'unknown-rule'", () => {
    const payload = shared("common-testaction-metric-static-threshold.json");
    payload.data.essentials.alertRule = "   ";
    expect(alertOf(payload).rule).toBe("unknown-rule");
  });

  it("an unparseable firedDateTime becomes null", () => {
    const payload = shared("common-testaction-metric-static-threshold.json");
    payload.data.essentials.firedDateTime = "yesterday";
    expect(alertOf(payload).firedAt).toBeNull();
  });

  it("schemaId is matched case-insensitively", () => {
    const payload = shared("common-testaction-metric-static-threshold.json");
    payload.schemaId = "AZUREMONITORCOMMONALERTSCHEMA";
    expect(alertOf(payload).schema).toBe("common");
  });

  it("an envelope without essentials is unrecognized, with a reason", () => {
    const result = normalizeAlert({ schemaId: "azureMonitorCommonAlertSchema", data: { alertContext: {} } });
    expect(result).toMatchObject({
      kind: "unrecognized",
      reason: "common alert schema envelope without data.essentials",
    });
  });

  it("essentials carrying none of the identifying fields is unrecognized", () => {
    const result = normalizeAlert({
      schemaId: "azureMonitorCommonAlertSchema",
      data: { essentials: { constructor: 1, toString: "x" } },
    });
    expect(result.kind).toBe("unrecognized");
  });

  it("a common-schema alert id that is a resource path links to the portal's alert details blade", () => {
    const alert = alertOf(sample("common-prometheus.json"));
    expect(alert.link).toBe(`${PORTAL_BLADE}${encodeURIComponent(alert.alertId)}`);
  });
});

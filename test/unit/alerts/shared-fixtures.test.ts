/* eslint-disable @typescript-eslint/no-unsafe-member-access -- tests read and edit parsed JSON samples freely */
import { describe, expect, it } from "vitest";
import type { NormalizedAlert } from "../../../src/shared/alerts/model.ts";
import { PORTAL_BLADE, SHARED_ALERTS_DIR, alertOf, jsonFiles, shared } from "./helpers.ts";

/** What each of Microsoft's published samples in the shared fixtures must normalise to. */
const expected: Record<string, Partial<NormalizedAlert>> = {
  "common-metric-static-resolved-vm-cpu.json": {
    schema: "common",
    monitoringService: "Platform",
    alertId:
      "/subscriptions/<subscription ID>/providers/Microsoft.AlertsManagement/alerts/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e",
    rule: "WCUS-R2-Gen2",
    ruleId: null,
    severity: "Sev3",
    condition: "resolved",
    targets: [
      "/subscriptions/<subscription ID>/resourcegroups/pipelinealertrg/providers/microsoft.compute/virtualmachines/wcus-r2-gen2",
    ],
    signalType: "Metric",
    description: null,
    firedAt: "2019-03-22T13:58:24.371Z",
    resolvedAt: "2019-03-22T14:03:16.224Z",
    values: [
      {
        name: "Percentage CPU",
        value: 7.727,
        threshold: 25,
        operator: "GreaterThan",
        aggregation: "Average",
      },
    ],
    isTest: false,
  },
  "common-testaction-activitylog-administrative.json": {
    schema: "common",
    monitoringService: "Activity Log - Administrative",
    rule: "test-activityLogAlertRule",
    severity: "Sev4",
    condition: "fired",
    targets: [
      "/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/test-RG/providers/microsoft.compute/virtualmachines/test-VM",
    ],
    signalType: "Activity Log",
    description: "Alert rule description",
    firedAt: "2025-04-15T11:26:21.386Z",
    resolvedAt: null,
    values: [],
    isTest: true,
  },
  "common-testaction-log-v2.json": {
    schema: "common",
    monitoringService: "Log Alerts V2",
    rule: "test-logAlertRule-v2",
    severity: "Sev4",
    condition: "fired",
    targets: [
      "/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/test-RG/providers/microsoft.operationalinsights/workspaces/test-logAnalyticsWorkspace",
    ],
    signalType: "Log",
    firedAt: "2025-04-15T18:08:03.626Z",
    values: [{ name: "Result count", value: 3, threshold: 0, operator: "GreaterThan", aggregation: "Count" }],
    isTest: true,
  },
  "common-testaction-metric-static-threshold.json": {
    schema: "common",
    monitoringService: "Platform",
    rule: "test-metricAlertRule",
    severity: "Sev4",
    condition: "fired",
    targets: [
      "/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/test-RG/providers/microsoft.storage/storageaccounts/test-storageAccount",
    ],
    signalType: "Metric",
    description: "Alertruledescription",
    firedAt: "2025-04-15T18:17:12.851Z",
    values: [
      { name: "Transactions", value: 100, threshold: 0, operator: "GreaterThan", aggregation: "Total" },
    ],
    isTest: true,
  },
  "common-testaction-service-health.json": {
    schema: "common",
    monitoringService: "ServiceHealth",
    rule: "test-ServiceHealthAlertRule",
    severity: "Sev4",
    condition: "fired",
    targets: ["/subscriptions/11111111-1111-1111-1111-111111111111"],
    signalType: "Activity Log",
    firedAt: "2025-04-15T18:20:36.256Z",
    values: [
      {
        name: "Impacted service",
        value: "AzureServiceName (Global)",
        threshold: null,
        operator: null,
        aggregation: null,
      },
    ],
    isTest: true,
  },
  "legacy-metric-alert-v2-static-threshold.json": {
    schema: "AzureMonitorMetricAlert",
    monitoringService: "Platform",
    rule: "test-metricAlertRule",
    ruleId:
      "/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/test-RG/providers/microsoft.insights/metricAlerts/test-metricAlertRule",
    severity: "Sev3",
    condition: "fired",
    targets: [
      "/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/test-RG/providers/Microsoft.Storage/storageAccounts/test-storageAccount",
    ],
    signalType: "Metric",
    description: "Alert rule description",
    firedAt: "2021-11-15T09:35:12.970Z",
    resolvedAt: null,
    values: [
      { name: "Transactions", value: 100, threshold: 0, operator: "GreaterThan", aggregation: "Total" },
    ],
    link: "https://portal.azure.com/#resource/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/test-RG/providers/Microsoft.Storage/storageAccounts/test-storageAccount",
    isTest: false,
  },
};

describe("Microsoft's published sample payloads (shared fixtures)", () => {
  it("has an expectation for every shared alert fixture", () => {
    expect(jsonFiles(SHARED_ALERTS_DIR)).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected))("%s normalises to the expected alert", (file, fields) => {
    expect(alertOf(shared(file))).toMatchObject(fields);
  });

  it("common-schema samples keep essentials.alertId and link to the portal's alert details blade", () => {
    for (const file of jsonFiles(SHARED_ALERTS_DIR).filter((f) => f.startsWith("common-"))) {
      const payload = shared(file);
      const alert = alertOf(payload);
      expect(alert.alertId).toBe(payload.data.essentials.alertId);
      if (!file.includes("log-v2")) {
        expect(alert.link).toBe(`${PORTAL_BLADE}${encodeURIComponent(alert.alertId)}`);
      }
    }
  });

  it("the log v2 sample links to its search results in the portal", () => {
    const link = alertOf(shared("common-testaction-log-v2.json")).link;
    expect(link).toMatch(
      /^https:\/\/portal\.azure\.com\/#@aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa\/blade\/Microsoft_Azure_Monitoring_Logs\/LogsBlade\//,
    );
  });
});

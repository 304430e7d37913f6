/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- tests read and edit parsed JSON samples freely */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { normalizeAlert } from "../../../src/shared/alerts/normalize.ts";
import { SAMPLES_DIR, SHARED_ALERTS_DIR, alertOf, jsonFiles, readJson, sample, shared } from "./helpers.ts";

const everySample = [
  ...jsonFiles(SHARED_ALERTS_DIR).map((f) => [f, SHARED_ALERTS_DIR] as const),
  ...jsonFiles(SAMPLES_DIR).map((f) => [f, SAMPLES_DIR] as const),
];

describe("alertId: redelivery", () => {
  it.each(everySample)("redelivering %s gives the same alertId and the same alert", (file, dir) => {
    const first = normalizeAlert(readJson(dir, file));
    const again = normalizeAlert(JSON.parse(JSON.stringify(readJson(dir, file))));
    expect(again).toEqual(first);
  });

  it("a redelivery with its keys in another order gives the same legacy alertId", () => {
    const payload = sample("legacy-log-analytics-v1-metric-measurement.json");
    const reordered = Object.fromEntries(Object.entries(payload).reverse());
    expect(alertOf(reordered).alertId).toBe(alertOf(payload).alertId);
  });

  it("shapes without an alert id get `<schema>:<sha256 hex>`", () => {
    for (const file of jsonFiles(SAMPLES_DIR).filter(
      (f) => f.startsWith("legacy-") && !f.includes("smart-detector"),
    )) {
      const alert = alertOf(sample(file));
      expect(alert.alertId).toMatch(new RegExp(`^${alert.schema}:[0-9a-f]{64}$`));
    }
  });
});

describe("alertId: fired and resolved notifications of the same alert", () => {
  it("a common-schema metric alert's Fired and Resolved notifications share essentials.alertId", () => {
    const resolved = shared("common-metric-static-resolved-vm-cpu.json");
    const fired = shared("common-metric-static-resolved-vm-cpu.json");
    fired.data.essentials.monitorCondition = "Fired";
    delete fired.data.essentials.resolvedDateTime;
    const [a, b] = [alertOf(fired), alertOf(resolved)];
    expect([a.condition, b.condition]).toEqual(["fired", "resolved"]);
    expect(a.alertId).toBe(b.alertId);
  });

  it("a common-schema envelope without alertId hashes its essentials, so Fired and Resolved still match", () => {
    const fired = shared("common-testaction-metric-static-threshold.json");
    delete fired.data.essentials.alertId;
    const resolved = structuredClone(fired);
    resolved.data.essentials.monitorCondition = "Resolved";
    resolved.data.essentials.resolvedDateTime = "2025-04-15T18:27:12.851Z";
    expect(alertOf(fired).alertId).toMatch(/^common:[0-9a-f]{64}$/);
    expect(alertOf(resolved).alertId).toBe(alertOf(fired).alertId);
  });

  it("classic metric Activated and Resolved share the alertId when both carry the trigger timestamp", () => {
    const fired = alertOf(sample("legacy-classic-metric-activated.json"));
    const resolved = alertOf(sample("legacy-classic-metric-resolved-same-trigger-timestamp.json"));
    expect([fired.condition, resolved.condition]).toEqual(["fired", "resolved"]);
    expect(resolved.alertId).toBe(fired.alertId);
  });

  it("AzureMonitorMetricAlert: the status is not hashed, so Deactivated with the same context matches Activated", () => {
    const activated = shared("legacy-metric-alert-v2-static-threshold.json");
    const deactivated = shared("legacy-metric-alert-v2-static-threshold.json");
    deactivated.data.status = "Deactivated";
    expect(alertOf(deactivated).alertId).toBe(alertOf(activated).alertId);
  });

  it("the Failure Anomalies alert resource id is the same for its fired and resolved notifications", () => {
    const resolved = sample("legacy-smart-detector-failure-anomalies-alert-resource.json");
    const fired = sample("legacy-smart-detector-failure-anomalies-alert-resource.json");
    fired.properties.essentials.monitorCondition = "Fired";
    expect(alertOf(fired).alertId).toBe(alertOf(resolved).alertId);
  });
});

describe("alertId: different instances stay apart", () => {
  it("one metric rule firing for two dimension values at the same time gives two alertIds", () => {
    const getBlob = shared("legacy-metric-alert-v2-static-threshold.json");
    const putBlob = shared("legacy-metric-alert-v2-static-threshold.json");
    putBlob.data.context.condition.allOf[0].dimensions[0].value = "PutBlob";
    expect(alertOf(putBlob).alertId).not.toBe(alertOf(getBlob).alertId);
  });

  it("a later firing of the same legacy metric rule gives a new alertId", () => {
    const first = shared("legacy-metric-alert-v2-static-threshold.json");
    const later = shared("legacy-metric-alert-v2-static-threshold.json");
    later.data.context.timestamp = "2021-11-16T09:35:12.9703687Z";
    expect(alertOf(later).alertId).not.toBe(alertOf(first).alertId);
  });

  it("two different activity log events give two alertIds", () => {
    const first = sample("legacy-activitylog-administrative.json");
    const second = sample("legacy-activitylog-administrative.json");
    second.data.context.activityLog.eventDataId = "dddddddd-dddd-dddd-dddd-dddddddddddd";
    expect(alertOf(second).alertId).not.toBe(alertOf(first).alertId);
  });

  it("two budget notifications for different thresholds give two alertIds", () => {
    const first = sample("legacy-budget-aip-notification-plain-amounts.json");
    const second = sample("legacy-budget-aip-notification-plain-amounts.json");
    second.data.NotificationThresholdAmount = "9000.0";
    expect(alertOf(second).alertId).not.toBe(alertOf(first).alertId);
  });
});

describe("unrecognized payloads: fingerprint", () => {
  it("the same unrecognized payload redelivered has the same fingerprint, whatever its key order", () => {
    const a = normalizeAlert(JSON.parse('{"foo":1,"bar":{"x":[1,2,{"y":null}],"z":"é"}}'));
    const b = normalizeAlert(JSON.parse('{"bar":{"z":"é","x":[1,2,{"y":null}]},"foo":1}'));
    expect(a.kind).toBe("unrecognized");
    expect(b).toEqual(a);
  });

  it("different unrecognized payloads have different fingerprints", () => {
    const prints = [{}, [], "x", { foo: 1 }, { foo: "1" }, [1, 2], [2, 1], null, 0, false].map((p) => {
      const r = normalizeAlert(p);
      return r.kind === "unrecognized" ? r.fingerprint : "";
    });
    expect(new Set(prints).size).toBe(prints.length);
  });

  it("the fingerprint is the sha256 of the canonical JSON (sorted keys, no whitespace)", () => {
    const canonical = '{"a":[true,null,"x\\u0000y"],"b":{"c":1.5,"d":-2}}';
    const expected = createHash("sha256").update(canonical).digest("hex");
    expect(normalizeAlert({ b: { d: -2, c: 1.5 }, a: [true, null, "x\u0000y"] })).toEqual({
      kind: "unrecognized",
      reason: expect.any(String),
      fingerprint: expected,
    });
  });
});

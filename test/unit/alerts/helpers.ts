import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import {
  alertSeverities,
  type NormalizeResult,
  type NormalizedAlert,
} from "../../../src/shared/alerts/model.ts";
import { normalizeAlert } from "../../../src/shared/alerts/normalize.ts";

/** Microsoft's published sample payloads, shared across the project (read-only). */
export const SHARED_ALERTS_DIR = fileURLToPath(new URL("../../fixtures/azure/alerts/", import.meta.url));
/** Payloads written for these tests from Microsoft's docs, one per shape/variation. */
export const SAMPLES_DIR = fileURLToPath(new URL("../../fixtures/alerts/", import.meta.url));

export function jsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort();
}

export function readJson(dir: string, file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(dir, file), "utf8")) as Record<string, unknown>;
}

/** A parsed payload that tests edit freely (`payload.data.essentials.severity = 2`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form edits of parsed JSON in tests
export type Payload = Record<string, any>;

/** A sample from test/fixtures/alerts (a fresh copy every call). */
export function sample(file: string): Payload {
  return readJson(SAMPLES_DIR, file);
}

/** A payload from the shared fixtures (a fresh copy every call). */
export function shared(file: string): Payload {
  return readJson(SHARED_ALERTS_DIR, file);
}

/** Normalises and insists on an alert. */
export function alertOf(payload: unknown): NormalizedAlert {
  const result = normalizeAlert(payload);
  if (result.kind !== "alert") throw new Error(`expected an alert, got unrecognized: ${result.reason}`);
  return result.alert;
}

export const PORTAL_BLADE =
  "https://portal.azure.com/#blade/Microsoft_Azure_Monitoring_Alerts/AlertDetailsTemplateBlade/alertId/";

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The invariants every result must satisfy, whatever the input. */
export function expectInvariants(result: NormalizeResult): void {
  expect(["alert", "unrecognized"]).toContain(result.kind);
  if (result.kind === "unrecognized") {
    expect(result.reason.length).toBeGreaterThan(0);
    expect(result.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    return;
  }
  const a = result.alert;
  expect(a.rule.trim().length).toBeGreaterThan(0);
  expect(a.rule.length).toBeLessThanOrEqual(2000);
  expect(a.alertId.length).toBeGreaterThan(0);
  expect(a.schema.length).toBeGreaterThan(0);
  expect(a.monitoringService.length).toBeGreaterThan(0);
  expect(["fired", "resolved"]).toContain(a.condition);
  if (a.severity !== null) expect(alertSeverities).toContain(a.severity);
  if (a.link !== null) {
    expect(a.link.startsWith("https://")).toBe(true);
    expect(new URL(a.link).protocol).toBe("https:");
  }
  for (const time of [a.firedAt, a.resolvedAt]) if (time !== null) expect(time).toMatch(ISO_UTC);
  expect(a.targets.length).toBeLessThanOrEqual(100);
  for (const t of a.targets) expect(typeof t === "string" && t.length > 0 && t.length <= 2000).toBe(true);
  expect(a.values.length).toBeLessThanOrEqual(100);
  for (const v of a.values) {
    expect(v.name.length).toBeGreaterThan(0);
    for (const x of [v.value, v.threshold]) {
      expect(x === null || typeof x === "string" || (typeof x === "number" && Number.isFinite(x))).toBe(true);
    }
  }
  expect(typeof a.isTest).toBe("boolean");
}

/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return -- tests read and edit parsed JSON samples freely */
import { describe, expect, it } from "vitest";
import { normalizeAlert } from "../../../src/shared/alerts/normalize.ts";
import { PORTAL_BLADE, type Payload, alertOf, expectInvariants, sample, shared } from "./helpers.ts";

function withLink(link: unknown): Payload {
  const payload = shared("common-testaction-log-v2.json");
  payload.data.alertContext.condition.allOf[0].linkToFilteredSearchResultsUI = link;
  payload.data.alertContext.condition.allOf[0].linkToSearchResultsUI = link;
  return payload;
}

describe("links are only ever https links to the Azure portal", () => {
  it.each([
    "javascript:alert(document.cookie)",
    "JavaScript://portal.azure.com/%0aalert(1)",
    "http://portal.azure.com/#blade/x",
    "data:text/html,<script>alert(1)</script>",
    "https://evil.example/#blade/x",
    "https://portal.azure.com.evil.example/#blade",
    "https://user:secret@portal.azure.com/#blade",
    "https://portal.azure.com:8443/#blade",
    "https://portal.azure.com/#blade\n<script>",
    "//portal.azure.com/#blade",
    42,
  ])("the payload link %j is dropped in favour of the alert details blade", (link) => {
    const alert = alertOf(withLink(link));
    expect(alert.link).toBe(`${PORTAL_BLADE}${encodeURIComponent(alert.alertId)}`);
  });

  it("a legacy payload with an unsafe portalLink and no resource-path alertId has no link", () => {
    const payload = sample("legacy-classic-metric-activated.json");
    payload.context.portalLink = "javascript:alert(1)";
    expect(alertOf(payload).link).toBeNull();
  });

  it("quotes and angle brackets in an accepted portal link are percent-encoded", () => {
    const link = alertOf(withLink('https://portal.azure.com/#blade/x"><img/src=x/onerror=alert(1)>')).link;
    expect(link).toBe("https://portal.azure.com/#blade/x%22%3E%3Cimg/src=x/onerror=alert(1)%3E");
  });

  it("sovereign-cloud and subdomain portals are accepted", () => {
    expect(alertOf(withLink("https://portal.azure.us/#blade/x")).link).toBe(
      "https://portal.azure.us/#blade/x",
    );
    expect(alertOf(withLink("https://ms.portal.azure.com/#blade/x")).link).toBe(
      "https://ms.portal.azure.com/#blade/x",
    );
  });
});

describe("size caps", () => {
  it("a 100,000-character rule name is cut to 2,000 characters ending in '…'", () => {
    const payload = shared("common-testaction-metric-static-threshold.json");
    payload.data.essentials.alertRule = "r".repeat(100_000);
    const rule = alertOf(payload).rule;
    expect(rule).toHaveLength(2000);
    expect(rule.endsWith("…")).toBe(true);
  });

  it("cutting never splits a surrogate pair", () => {
    const payload = shared("common-testaction-metric-static-threshold.json");
    payload.data.essentials.description = `${"a".repeat(1998)}😀😀😀`;
    const description = alertOf(payload).description ?? "";
    expect(description.length).toBeLessThanOrEqual(2000);
    expect(() => encodeURIComponent(description)).not.toThrow();
  });

  it("10,000 targets and 10,000 criteria are kept to 100 each", () => {
    const payload = shared("common-testaction-metric-static-threshold.json");
    payload.data.essentials.alertTargetIDs = Array.from(
      { length: 10_000 },
      (_, i) => `/subscriptions/s/rg/${i}`,
    );
    const criterion = payload.data.alertContext.condition.allOf[0];
    payload.data.alertContext.condition.allOf = Array.from({ length: 10_000 }, () => criterion);
    const alert = alertOf(payload);
    expect(alert.targets).toHaveLength(100);
    expect(alert.values).toHaveLength(100);
  });

  it("an overlong alertId is replaced by a stable hash rather than stored", () => {
    const payload = shared("common-testaction-metric-static-threshold.json");
    payload.data.essentials.alertId = `/subscriptions/${"x".repeat(5000)}`;
    const first = alertOf(payload).alertId;
    expect(first).toMatch(/^common:[0-9a-f]{64}$/);
    expect(alertOf(structuredClone(payload)).alertId).toBe(first);
  });
});

describe("hostile strings and values", () => {
  it("NUL bytes and line breaks in single-line fields become spaces; descriptions keep line breaks", () => {
    const payload = shared("common-testaction-metric-static-threshold.json");
    payload.data.essentials.alertRule = "cpu\u0000high\r\nBcc: victim@example.com";
    payload.data.essentials.description = "line one\nline two\u0000";
    const alert = alertOf(payload);
    expect(alert.rule).toBe("cpu high  Bcc: victim@example.com");
    expect(alert.description).toBe("line one\nline two");
  });

  it("HTML in payload text is kept as data (escaping is the renderer's job)", () => {
    const payload = shared("common-testaction-metric-static-threshold.json");
    payload.data.essentials.alertRule = "<script>alert(1)</script>";
    expect(alertOf(payload).rule).toBe("<script>alert(1)</script>");
  });

  it("huge and odd numbers: 1e308 stays a number, '1e400' stays text, severity 1e308 is null", () => {
    const payload = shared("common-testaction-metric-static-threshold.json");
    payload.data.essentials.severity = 1e308;
    payload.data.alertContext.condition.allOf[0].metricValue = 1e308;
    payload.data.alertContext.condition.allOf[0].threshold = "1e400";
    const alert = alertOf(payload);
    expect(alert.severity).toBeNull();
    expect(alert.values[0]).toMatchObject({ value: 1e308, threshold: "1e400" });
  });

  it("'__proto__' keys neither pollute prototypes nor count as fields", () => {
    const payload: unknown = JSON.parse(
      '{"__proto__":{"schemaId":"azureMonitorCommonAlertSchema","polluted":true},"data":{"__proto__":{"essentials":{"alertRule":"x"}}}}',
    );
    const result = normalizeAlert(payload);
    expect(result.kind).toBe("unrecognized");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("polluted");
  });

  it("'__proto__' and 'constructor' keys inside a real alert are ignored", () => {
    const payload = shared("common-testaction-metric-static-threshold.json");
    payload.data.essentials = JSON.parse(
      JSON.stringify(payload.data.essentials).replace(
        "{",
        '{"__proto__":{"severity":"Sev0"},"constructor":{"x":1},',
      ),
    );
    const alert = alertOf(payload);
    expect(alert.severity).toBe("Sev4");
    expect(({} as Record<string, unknown>).severity).toBeUndefined();
  });

  it("a 100,000-level deep array is unrecognized without throwing", () => {
    const deep: unknown = JSON.parse(`${"[".repeat(100_000)}${"]".repeat(100_000)}`);
    const result = normalizeAlert(deep);
    expect(result.kind).toBe("unrecognized");
    expectInvariants(result);
  });

  it("a 100,000-level deep object inside an alert's context does not stop the alert", () => {
    const payload = shared("common-testaction-metric-static-threshold.json");
    payload.data.alertContext.properties = JSON.parse(`${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`);
    expect(alertOf(payload).rule).toBe("test-metricAlertRule");
  });

  it("values JSON cannot hold (bigint, undefined, functions, symbols, cycles) never make it throw", () => {
    const cyclic: Record<string, unknown> = { schemaId: "azureMonitorCommonAlertSchema" };
    cyclic.data = cyclic;
    const inputs: unknown[] = [
      undefined,
      10n,
      () => 1,
      Symbol("s"),
      cyclic,
      { a: 1n, b: undefined, c: () => 1, d: [undefined, Symbol("x")] },
      new Proxy({}, { ownKeys: () => { throw new Error("trap"); } }), // prettier-ignore
      Object.defineProperty({}, "schemaId", { enumerable: true, get: () => { throw new Error("getter"); } }), // prettier-ignore
    ];
    for (const input of inputs) {
      const result = normalizeAlert(input);
      expectInvariants(result);
    }
  });
});

describe("the input is never mutated", () => {
  it("normalising deep-frozen samples works and leaves them as they were", () => {
    for (const file of ["common-budget-forecasted-testaction.json", "legacy-classic-metric-activated.json"]) {
      const payload = sample(file);
      const before = structuredClone(payload);
      const frozen = deepFreeze(payload);
      expect(normalizeAlert(frozen).kind).toBe("alert");
      expect(frozen).toEqual(before);
    }
  });
});

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { decodeJwt } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Estate } from "../../local/estate/index.ts";
import { demo, demoIds } from "../../local/estate/index.ts";
import { normalizeCommonSchema } from "../../src/shared/alerts/common-schema.ts";
import { at, call, rawToken, startTestEstate } from "./helpers.ts";

/**
 * The cpu-spike scenario end to end on the estate's side: the plan's CpuPercentage is above the
 * high-cpu-usage threshold (80) at its seeded size, and below it once the plan is scaled up; the alert
 * an action group would post is sent to a webhook, Fired and then Resolved with the lower value.
 */

const planUrl = `${demoIds.plan}?api-version=2022-03-01`;

describe("the cpu-spike scenario", () => {
  let estate: Estate;
  let close: () => Promise<void>;
  let token: string;

  beforeAll(async () => {
    ({ estate, close } = await startTestEstate({ scenario: "cpu-spike" }));
    token = await rawToken(estate);
  });
  afterAll(() => close());

  /** The plan's average CpuPercentage per 5 minutes over the last half hour, as Metrics_List reports it. */
  async function cpu(): Promise<number[]> {
    const response = await call(
      estate,
      "GET",
      `${demoIds.plan}/providers/Microsoft.Insights/metrics?api-version=2023-10-01&metricnames=CpuPercentage&timespan=PT30M&interval=PT5M&aggregation=Average,Maximum`,
      { token },
    );
    expect(response.status).toBe(200);
    const data = at(response.body, "value", 0, "timeseries", 0, "data") as { average: number }[];
    expect(data.length).toBeGreaterThan(0);
    return data.map((d) => d.average);
  }

  async function scale(name: string, capacity: number): Promise<void> {
    const response = await call(estate, "PUT", planUrl, {
      token,
      body: { location: "West Europe", sku: { name, capacity } },
    });
    expect(response.status).toBe(202);
    const status = response.headers.get("azure-asyncoperation") ?? "";
    const deadline = Date.now() + 5000;
    while (
      at((await call(estate, "GET", status.replace(estate.url, ""), { token })).body, "status") !==
      "Succeeded"
    ) {
      if (Date.now() > deadline) throw new Error("the scale did not complete");
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  afterEach(() => scale("P1V3", 1));

  it("runs the plan at ~92% CPU at its seeded P1v3 × 1: every datapoint above the 80 threshold", async () => {
    const values = await cpu();
    for (const v of values) {
      expect(v).toBeGreaterThan(80);
      expect(v).toBeLessThan(100);
    }
  });

  it("falls to ~46% once the plan is scaled up to P2V2", async () => {
    await scale("P2V2", 1);
    for (const v of await cpu()) {
      expect(v).toBeGreaterThan(40);
      expect(v).toBeLessThan(52);
    }
  });

  it("falls below the threshold with more instances of the same size too", async () => {
    await scale("P1V3", 2);
    for (const v of await cpu()) expect(v).toBeLessThan(80);
    await scale("P1V3", 1);
    for (const v of await cpu()) expect(v).toBeGreaterThan(80);
  });

  it("is described in the scenario list", async () => {
    const list = await call(estate, "GET", "/_estate/scenarios");
    expect(String(at(list.body, "scenarios", "cpu-spike", "description"))).toMatch(/92%/);
  });

  it("leaves the healthy estate well below the threshold", async () => {
    estate.setScenario("healthy");
    try {
      for (const v of await cpu()) expect(v).toBeLessThan(50);
    } finally {
      estate.setScenario("cpu-spike");
    }
  });
});

describe("firing the high-cpu-usage alert at a webhook", () => {
  let estate: Estate;
  let close: () => Promise<void>;
  let token: string;
  let hook: Server;
  let hookUrl: string;
  const received: { headers: IncomingHttpHeaders; body: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    ({ estate, close } = await startTestEstate({ scenario: "cpu-spike" }));
    token = await rawToken(estate);
    hook = createServer((req, res) => {
      let text = "";
      req.on("data", (chunk: Buffer) => (text += chunk.toString()));
      req.on("end", () => {
        received.push({ headers: req.headers, body: JSON.parse(text) as Record<string, unknown> });
        res.writeHead(202).end("accepted");
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/api/alerts?code=abc`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => hook.close(() => resolve()));
    await close();
  });

  it("posts a common-alert-schema Fired payload for the demo plan, then Resolved with the same alertId after a scale-up", async () => {
    const fired = await call(estate, "POST", "/_estate/alerts/fire", {
      body: { url: hookUrl, headers: { "x-functions-key": "local" } },
    });
    expect(fired.status).toBe(200);
    expect(at(fired.body, "status")).toBe(202);
    expect(at(fired.body, "responseBody")).toBe("accepted");
    const first = received.at(-1);
    expect(first?.headers["x-functions-key"]).toBe("local");
    expect(first?.headers["content-type"]).toBe("application/json");
    expect(first?.body).toMatchObject({
      schemaId: "azureMonitorCommonAlertSchema",
      data: {
        essentials: {
          alertRule: "high-cpu-usage",
          signalType: "Metric",
          monitorCondition: "Fired",
          monitoringService: "Platform",
          alertTargetIDs: [demoIds.plan.toLowerCase()],
          configurationItems: [demo.plan],
          essentialsVersion: "1.0",
          alertContextVersion: "1.0",
        },
        alertContext: {
          conditionType: "SingleResourceMultipleMetricCriteria",
          condition: {
            windowSize: "PT5M",
            allOf: [
              {
                metricName: "CpuPercentage",
                metricNamespace: "Microsoft.Web/serverFarms",
                operator: "GreaterThan",
                threshold: "80",
                timeAggregation: "Average",
              },
            ],
          },
        },
      },
    });
    const alertId = String(at(first?.body, "data", "essentials", "alertId"));
    expect(alertId).toMatch(
      new RegExp(
        `^/subscriptions/${demo.subscriptionId}/providers/Microsoft.AlertsManagement/alerts/[0-9a-f-]{36}$`,
      ),
    );
    expect(at(fired.body, "alertId")).toBe(alertId);
    expect(
      Number(at(first?.body, "data", "alertContext", "condition", "allOf", 0, "metricValue")),
    ).toBeGreaterThan(80);
    expect(at(first?.body, "data", "essentials", "resolvedDateTime")).toBeUndefined();

    const scaled = await call(estate, "PUT", planUrl, {
      token,
      body: { location: "West Europe", sku: { name: "P2V2" } },
    });
    expect(scaled.status).toBe(202);
    await new Promise((r) => setTimeout(r, 1300));

    const resolved = await call(estate, "POST", "/_estate/alerts/fire", {
      body: { url: hookUrl, monitorCondition: "Resolved" },
    });
    expect(resolved.status).toBe(200);
    const second = received.at(-1);
    expect(at(second?.body, "data", "essentials", "monitorCondition")).toBe("Resolved");
    expect(at(second?.body, "data", "essentials", "alertId")).toBe(alertId);
    expect(at(second?.body, "data", "essentials", "firedDateTime")).toBe(
      at(first?.body, "data", "essentials", "firedDateTime"),
    );
    expect(at(second?.body, "data", "essentials", "resolvedDateTime")).toEqual(expect.any(String));
    expect(
      Number(at(second?.body, "data", "alertContext", "condition", "allOf", 0, "metricValue")),
    ).toBeLessThan(80);
  });

  it("sends payloads the app's common-schema parser accepts as the high-cpu-usage alert on the plan", () => {
    for (const payload of received) {
      const parsed = normalizeCommonSchema(payload.body);
      expect(parsed.ok, JSON.stringify(parsed)).toBe(true);
      if (parsed.ok) {
        expect(parsed.alert.targets.map((t) => t.toLowerCase())).toEqual([demoIds.plan.toLowerCase()]);
        expect(parsed.alert.condition).toMatch(/^(fired|resolved)$/);
      }
    }
    expect(received.length).toBeGreaterThanOrEqual(2);
  });

  it("adds a secure-webhook token as the action groups' app when asked", async () => {
    await call(estate, "POST", "/_estate/alerts/fire", { body: { url: hookUrl, secureWebhook: true } });
    const auth = String(received.at(-1)?.headers["authorization"]);
    expect(auth).toMatch(/^Bearer /);
    const claims = decodeJwt(auth.slice("Bearer ".length));
    expect(claims).toMatchObject({
      aud: "api://phoenix-ops",
      appid: "461e8683-5575-4561-ac7f-899cc907d62a",
      roles: ["ActionGroupsSecureWebhook"],
    });
  });

  it("posts to loopback only, and says so when the webhook cannot be reached", async () => {
    const outside = await call(estate, "POST", "/_estate/alerts/fire", {
      body: { url: "https://example.com/api/alerts" },
    });
    expect(outside.status).toBe(502);
    expect(String(at(outside.body, "error", "message"))).toMatch(/loopback only/);
    const bad = await call(estate, "POST", "/_estate/alerts/fire", { body: { url: "not a url" } });
    expect(bad.status).toBe(400);
  });
});

import type { ManagedIdentityCredential } from "@azure/identity";
import type { Metric, MetricsQueryResult } from "@azure/monitor-query-metrics";
import { MetricsClient } from "@azure/monitor-query-metrics";
import { RestError } from "@azure/core-rest-pipeline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Estate, ScenarioName } from "../../local/estate/index.ts";
import { demoIds } from "../../local/estate/index.ts";
import { at, call, rawToken, startTestEstate } from "./helpers.ts";

const webMetrics = ["HttpResponseTime", "Http5xx", "Requests"];
const dbMetrics = ["sessions_percent", "workers_percent", "connection_failed", "cpu_percent", "deadlock"];

/** The SDK names a metric by its localized name, so look metrics up by the id's last segment. */
function metric(result: MetricsQueryResult | undefined, name: string): Metric {
  const found = result?.metrics.find((m) => m.id?.endsWith(`/metrics/${name}`));
  if (!found) throw new Error(`metric ${name} missing`);
  return found;
}

function points(m: Metric, aggregation: "average" | "total" | "maximum"): number[] {
  return (m.timeseries[0]?.data ?? [])
    .map((p) => p[aggregation])
    .filter((v): v is number => typeof v === "number");
}

function mean(values: number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}

function sum(values: number[]): number {
  return values.reduce((s, v) => s + v, 0);
}

describe("Azure Monitor metrics", () => {
  let estate: Estate;
  let credential: ManagedIdentityCredential;
  let close: () => Promise<void>;
  let client: MetricsClient;
  const endTime = new Date(Math.floor(Date.now() / 300_000) * 300_000);
  const startTime = new Date(endTime.getTime() - 15 * 60_000);
  const window = { startTime, endTime, interval: "PT5M" };

  async function sites(): Promise<{
    web: MetricsQueryResult | undefined;
    api: MetricsQueryResult | undefined;
  }> {
    const [web, api] = await client.queryResources(
      [demoIds.webSite, demoIds.apiSite],
      webMetrics,
      "Microsoft.Web/sites",
      {
        ...window,
        aggregation: "average,total",
      },
    );
    return { web, api };
  }

  async function database(): Promise<MetricsQueryResult | undefined> {
    const [db] = await client.queryResources(
      [demoIds.database],
      dbMetrics,
      "Microsoft.Sql/servers/databases",
      {
        ...window,
        aggregation: "average,maximum,total",
      },
    );
    return db;
  }

  async function inScenario<T>(name: ScenarioName, body: () => Promise<T>): Promise<T> {
    estate.setScenario(name);
    try {
      return await body();
    } finally {
      estate.setScenario("healthy");
    }
  }

  beforeAll(async () => {
    ({ estate, credential, close } = await startTestEstate());
    client = new MetricsClient(estate.url, credential, { audience: "https://metrics.monitor.azure.com" });
  });
  afterAll(() => close());

  it("reports a healthy estate", async () => {
    const { web, api } = await sites();
    expect(web?.resourceId).toBe(demoIds.webSite);
    expect(web?.granularity).toBe("PT5M");
    expect(points(metric(web, "Requests"), "total")).toHaveLength(3);
    expect(mean(points(metric(web, "HttpResponseTime"), "average"))).toBeCloseTo(0.25, 1);
    const webErrorRate =
      sum(points(metric(web, "Http5xx"), "total")) / sum(points(metric(web, "Requests"), "total"));
    expect(webErrorRate).toBeGreaterThan(0);
    expect(webErrorRate).toBeLessThan(0.005);
    expect(mean(points(metric(api, "HttpResponseTime"), "average"))).toBeCloseTo(0.12, 1);
    const apiSuccess =
      1 - sum(points(metric(api, "Http5xx"), "total")) / sum(points(metric(api, "Requests"), "total"));
    expect(apiSuccess).toBeGreaterThan(0.999);

    const db = await database();
    expect(mean(points(metric(db, "sessions_percent"), "average"))).toBeGreaterThan(30);
    expect(mean(points(metric(db, "sessions_percent"), "average"))).toBeLessThan(40);
    expect(mean(points(metric(db, "workers_percent"), "average"))).toBeLessThan(25);
    expect(mean(points(metric(db, "cpu_percent"), "average"))).toBeLessThan(40);
    expect(sum(points(metric(db, "connection_failed"), "total"))).toBe(0);
    expect(sum(points(metric(db, "deadlock"), "total"))).toBe(0);
  });

  it("is deterministic for the same scenario and window", async () => {
    const first = await sites();
    const second = await sites();
    expect(first.web?.metrics).toEqual(second.web?.metrics);
  });

  it("shows the web app's 5xx spike in webapp-errors", async () => {
    const { web, api } = await inScenario("webapp-errors", sites);
    const rate = sum(points(metric(web, "Http5xx"), "total")) / sum(points(metric(web, "Requests"), "total"));
    expect(rate).toBeGreaterThan(0.1);
    expect(rate).toBeLessThan(0.2);
    const apiRate =
      sum(points(metric(api, "Http5xx"), "total")) / sum(points(metric(api, "Requests"), "total"));
    expect(apiRate).toBeLessThan(0.005);
  });

  it("shows the slow API in api-slow", async () => {
    const { web, api } = await inScenario("api-slow", sites);
    expect(mean(points(metric(api, "HttpResponseTime"), "average"))).toBeGreaterThan(4);
    expect(mean(points(metric(api, "HttpResponseTime"), "average"))).toBeLessThan(5);
    expect(mean(points(metric(web, "HttpResponseTime"), "average"))).toBeLessThan(0.5);
  });

  it("shows the exhausted pool in db-pool-exhausted", async () => {
    const db = await inScenario("db-pool-exhausted", database);
    expect(mean(points(metric(db, "sessions_percent"), "average"))).toBeGreaterThan(95);
    expect(Math.max(...points(metric(db, "sessions_percent"), "maximum"))).toBeLessThanOrEqual(100);
    expect(mean(points(metric(db, "workers_percent"), "average"))).toBeGreaterThan(93);
    const failedPer5Min = points(metric(db, "connection_failed"), "total");
    expect(mean(failedPer5Min)).toBeGreaterThan(30);
    expect(mean(failedPer5Min)).toBeLessThan(50);
  });

  it("returns no datapoints in metrics-missing", async () => {
    const { web } = await inScenario("metrics-missing", sites);
    for (const name of webMetrics) expect(metric(web, name).timeseries).toEqual([]);
    const token = await rawToken(estate);
    estate.setScenario("metrics-missing");
    try {
      const list = await call(
        estate,
        "GET",
        `${demoIds.database}/providers/Microsoft.Insights/metrics?api-version=2023-10-01&metricnames=cpu_percent`,
        { token },
      );
      expect(list.status).toBe(200);
      expect(at(list.body, "value", 0, "timeseries")).toEqual([]);
    } finally {
      estate.setScenario("healthy");
    }
  });

  it("marks the missing database in resource-missing", async () => {
    const db = await inScenario("resource-missing", database);
    expect(db?.resourceId).toBe(demoIds.database);
    for (const name of dbMetrics) {
      expect(metric(db, name).errorCode).toBe("ResourceNotFound");
      expect(metric(db, name).timeseries).toEqual([]);
    }
  });

  it("serves Metrics_List in the shape of the REST example", async () => {
    const token = await rawToken(estate);
    const response = await call(
      estate,
      "GET",
      `${demoIds.webSite}/providers/Microsoft.Insights/metrics?api-version=2023-10-01&metricnames=Http5xx,Requests` +
        `&timespan=${startTime.toISOString()}/${endTime.toISOString()}&interval=PT5M&aggregation=total`,
      { token },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("x-ms-ratelimit-remaining-subscription-reads")).toMatch(/^\d+$/);
    expect(at(response.body, "interval")).toBe("PT5M");
    expect(at(response.body, "namespace")).toBe("microsoft.web/sites");
    expect(at(response.body, "resourceregion")).toBe("westeurope");
    expect(at(response.body, "value", 0, "name")).toEqual({
      value: "Http5xx",
      localizedValue: "Http Server Errors",
    });
    expect(at(response.body, "value", 0, "type")).toBe("Microsoft.Insights/metrics");
    expect(at(response.body, "value", 1, "timeseries", 0, "metadatavalues")).toEqual([]);
    expect(Object.keys(at(response.body, "value", 1, "timeseries", 0, "data", 0) as object).sort()).toEqual([
      "timeStamp",
      "total",
    ]);

    const unknown = await call(
      estate,
      "GET",
      `${demoIds.webSite}/providers/Microsoft.Insights/metrics?api-version=2023-10-01&metricnames=Nope`,
      { token },
    );
    expect(unknown.status).toBe(400);
    expect(String(at(unknown.body, "error", "message"))).toContain("Valid metrics:");

    const missing = await call(
      estate,
      "GET",
      `${demoIds.resourceGroup}/providers/Microsoft.Web/sites/nope/providers/Microsoft.Insights/metrics?api-version=2023-10-01`,
      { token },
    );
    expect(missing.status).toBe(404);
    expect(at(missing.body, "error", "code")).toBe("ResourceNotFound");
  });

  it("refuses bad batches with 400", async () => {
    const tooMany = Array.from({ length: 51 }, () => demoIds.webSite);
    const error = await client
      .queryResources(tooMany, ["Requests"], "Microsoft.Web/sites")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RestError);
    expect((error as RestError).statusCode).toBe(400);

    const wrongType = await client
      .queryResources([demoIds.database], ["Requests"], "Microsoft.Web/sites")
      .catch((e: unknown) => e);
    expect((wrongType as RestError).statusCode).toBe(400);

    const unknownMetric = await client
      .queryResources([demoIds.webSite], ["Nope"], "Microsoft.Web/sites")
      .catch((e: unknown) => e);
    expect((unknownMetric as RestError).statusCode).toBe(400);
  });

  it("does not count the batch API against the ARM read throttle", async () => {
    estate.resetStats();
    await sites();
    const stats = estate.stats();
    expect(stats.byRoute["metrics-batch"]).toBe(1);
    expect(stats.throttled).toBe(0);
  });
});

import type { ManagedIdentityCredential } from "@azure/identity";
import type { LogsTable } from "@azure/monitor-query-logs";
import { LogsQueryClient, LogsQueryResultStatus } from "@azure/monitor-query-logs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Estate } from "../../local/estate/index.ts";
import { demo } from "../../local/estate/index.ts";
import { startTestEstate } from "./helpers.ts";

describe("Log Analytics", () => {
  let estate: Estate;
  let credential: ManagedIdentityCredential;
  let close: () => Promise<void>;
  let client: LogsQueryClient;

  async function table(query: string, duration = "PT1H"): Promise<LogsTable> {
    const result = await client.queryWorkspace(demo.workspaceId, query, { duration });
    if (result.status !== LogsQueryResultStatus.Success)
      throw new Error(`query failed: ${JSON.stringify(result)}`);
    const [first] = result.tables;
    if (!first) throw new Error("no table");
    return first;
  }

  function column(t: LogsTable, name: string): number {
    return t.columnDescriptors.findIndex((c) => c.name === name);
  }

  beforeAll(async () => {
    ({ estate, credential, close } = await startTestEstate());
    client = new LogsQueryClient(credential, {
      endpoint: `${estate.url}/v1`,
      credentials: { scopes: ["https://api.loganalytics.io/.default"] },
    });
  });
  afterAll(() => close());

  it("answers a workspace query with typed columns", async () => {
    const t = await table("requests | take 5");
    expect(t.columnDescriptors.map((c) => c.name)).toEqual([
      "timestamp",
      "name",
      "url",
      "resultCode",
      "duration",
      "success",
      "cloud_RoleName",
    ]);
    expect(t.rows).toHaveLength(5);
    const row = t.rows[0] ?? [];
    expect(row[column(t, "timestamp")]).toBeInstanceOf(Date);
    expect(typeof row[column(t, "duration")]).toBe("number");
    expect(typeof row[column(t, "success")]).toBe("boolean");
  });

  it("shows failures of the web app in webapp-errors and hardly any when healthy", async () => {
    const count = async (): Promise<number> => {
      const t = await table(
        `requests | where success == false and cloud_RoleName == "${demo.webSite}" | count`,
      );
      return Number(t.rows[0]?.[0]);
    };
    const healthy = await count();
    estate.setScenario("webapp-errors");
    const failing = await count().finally(() => estate.setScenario("healthy"));
    // Ten sampled rows per site per minute: 600 an hour, of which ~0.1% or ~15% fail.
    expect(healthy).toBeLessThanOrEqual(1);
    expect(failing).toBeGreaterThanOrEqual(85);
    expect(failing).toBeLessThanOrEqual(95);
  });

  it("shows slow API requests in api-slow", async () => {
    estate.setScenario("api-slow");
    const t = await table(`requests | summarize p50 = percentile(duration, 50) by cloud_RoleName`).finally(
      () => estate.setScenario("healthy"),
    );
    const byRole = Object.fromEntries(t.rows.map((r) => [r[0] as string, Number(r[1])]));
    expect(byRole[demo.apiSite]).toBeGreaterThan(3000);
    expect(byRole[demo.webSite]).toBeLessThan(500);
  });

  it("supports summarize with countif, order by and limit", async () => {
    const t = await table(
      "requests | summarize total = count(), failed = countif(success == false) by cloud_RoleName | order by cloud_RoleName asc | limit 1",
      "PT6H",
    );
    expect(t.columnDescriptors.map((c) => c.name)).toEqual(["cloud_RoleName", "total", "failed"]);
    expect(t.rows).toHaveLength(1);
    const [role, total, failed] = t.rows[0] ?? [];
    expect(role).toBe(demo.apiSite);
    expect(Number(total)).toBeGreaterThan(3500);
    expect(Number(failed)).toBeLessThanOrEqual(3);
  });

  it("refuses unsupported operators and unknown tables with a query error", async () => {
    await expect(table("requests | join (traces) on operation_Id")).rejects.toMatchObject({
      statusCode: 400,
    });
    await expect(table("nonexistent | take 1")).rejects.toMatchObject({ statusCode: 400 });
    await expect(
      client.queryWorkspace("00000000-0000-4000-8000-000000000000", "requests", { duration: "PT1H" }),
    ).rejects.toMatchObject({
      statusCode: 404,
    });
  });

  it("runs a $batch of queries", async () => {
    const results = await client.queryBatch([
      { workspaceId: demo.workspaceId, query: "requests | take 2", timespan: { duration: "PT1H" } },
      { workspaceId: demo.workspaceId, query: "requests | count", timespan: { duration: "PT1H" } },
    ]);
    expect(results).toHaveLength(2);
    const [first, second] = results;
    expect(first && "tables" in first ? first.tables[0]?.rows : undefined).toHaveLength(2);
    const count = Number(second && "tables" in second ? second.tables[0]?.rows[0]?.[0] : undefined);
    expect(count).toBeGreaterThan(1150);
    expect(count).toBeLessThan(1210);
  });
});

import type { ManagedIdentityCredential } from "@azure/identity";
import type { LogsTable, QueryTimeInterval } from "@azure/monitor-query-logs";
import { LogsQueryClient, LogsQueryResultStatus } from "@azure/monitor-query-logs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Estate } from "../../local/estate/index.ts";
import { demo, demoIds } from "../../local/estate/index.ts";
import { at, call, rawToken, startTestEstate } from "./helpers.ts";

/**
 * The tables a diagnostics download reads: App Service's HTTP, console and app logs and Application
 * Insights' exceptions, made from the same sampled requests as `requests`, queried with the KQL the
 * app sends (`where TimeGenerated > ago(1h) | where _ResourceId =~ '...' | take 1000`, project, order by).
 */

const siteId = demoIds.webSite;

describe("diagnostics tables in Log Analytics", () => {
  let estate: Estate;
  let credential: ManagedIdentityCredential;
  let close: () => Promise<void>;
  let client: LogsQueryClient;
  // One fixed hour, so counts from different tables cover the same requests.
  const end = new Date(Math.floor(Date.now() / 60_000) * 60_000);
  const hour: QueryTimeInterval = { startTime: new Date(end.getTime() - 3_600_000), endTime: end };

  async function table(
    query: string,
    timespan: QueryTimeInterval = { duration: "PT2H" },
  ): Promise<LogsTable> {
    const result = await client.queryWorkspace(demo.workspaceId, query, timespan);
    if (result.status !== LogsQueryResultStatus.Success)
      throw new Error(`query failed: ${JSON.stringify(result)}`);
    const [first] = result.tables;
    if (!first) throw new Error("no table");
    return first;
  }

  async function count(query: string): Promise<number> {
    return Number((await table(`${query} | count`, hour)).rows[0]?.[0]);
  }

  beforeAll(async () => {
    ({ estate, credential, close } = await startTestEstate());
    client = new LogsQueryClient(credential, {
      endpoint: `${estate.url}/v1`,
      credentials: { scopes: ["https://api.loganalytics.io/.default"] },
    });
  });
  afterAll(() => close());

  it("answers the diagnostics query for one site's HTTP log with its documented columns", async () => {
    const t = await table(
      `AppServiceHTTPLogs | where TimeGenerated > ago(1h) | where _ResourceId =~ '${siteId}' | take 1000`,
    );
    const names = t.columnDescriptors.map((c) => c.name);
    for (const column of [
      "TimeGenerated",
      "CsMethod",
      "CsUriStem",
      "CsHost",
      "ScStatus",
      "ScSubStatus",
      "TimeTaken",
      "CIp",
      "UserAgent",
      "Result",
      "_ResourceId",
    ]) {
      expect(names).toContain(column);
    }
    expect(t.columnDescriptors.find((c) => c.name === "ScStatus")?.type).toBe("int");
    expect(t.rows.length).toBeGreaterThan(500);
    expect(t.rows.length).toBeLessThanOrEqual(1000);
    const resourceIds = new Set(t.rows.map((r) => r[names.indexOf("_ResourceId")]));
    expect([...resourceIds]).toEqual([siteId.toLowerCase()]);
    expect(t.rows[0]?.[names.indexOf("CsHost")]).toBe(`${demo.webSite}.azurewebsites.net`);
    expect(t.rows[0]?.[names.indexOf("TimeGenerated")]).toBeInstanceOf(Date);
  });

  it("projects and orders as asked", async () => {
    const t = await table(
      `AppServiceHTTPLogs | where _ResourceId =~ '${siteId}' | project TimeGenerated, CsMethod, CsUriStem, ScStatus, TimeTaken | order by TimeGenerated desc | take 20`,
    );
    expect(t.columnDescriptors.map((c) => c.name)).toEqual([
      "TimeGenerated",
      "CsMethod",
      "CsUriStem",
      "ScStatus",
      "TimeTaken",
    ]);
    const times = t.rows.map((r) => (r[0] as Date).getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const renamed = await table("AppServiceHTTPLogs | project Status = ScStatus, Site = CsHost | take 1");
    expect(renamed.columnDescriptors.map((c) => [c.name, c.type])).toEqual([
      ["Status", "int"],
      ["Site", "string"],
    ]);
  });

  it("shows webapp-errors' failures as 5xx in the HTTP log, errors in the app and console logs and as exceptions, one for one", async () => {
    estate.setScenario("webapp-errors");
    try {
      const scoped = `where _ResourceId =~ '${siteId}'`;
      const failedRequests = await count(
        `requests | where success == false and cloud_RoleName == "${demo.webSite}"`,
      );
      // Ten sampled requests per site per minute: 600 an hour, ~15% of them failing.
      expect(failedRequests).toBeGreaterThanOrEqual(85);
      expect(failedRequests).toBeLessThanOrEqual(95);
      expect(await count(`AppServiceHTTPLogs | ${scoped} | where ScStatus >= 500`)).toBe(failedRequests);
      expect(await count(`AppServiceHTTPLogs | ${scoped} | where Result == "Failure"`)).toBe(failedRequests);
      expect(await count(`AppServiceAppLogs | ${scoped} | where Level == "Error"`)).toBe(failedRequests);
      expect(
        await count(
          `AppServiceConsoleLogs | ${scoped} | where Level == "Error" and ResultDescription has "at"`,
        ),
      ).toBe(failedRequests);
      expect(await count(`exceptions | where cloud_RoleName == "${demo.webSite}"`)).toBe(failedRequests);

      const byClass = await table(
        `AppServiceAppLogs | ${scoped} | where Level in ("Error", "Critical") | summarize n = count() by ExceptionClass`,
        hour,
      );
      const classes = Object.fromEntries(byClass.rows.map((r) => [r[0] as string, Number(r[1])]));
      expect(Object.keys(classes).sort()).toEqual(["Error", "TypeError"]);
      expect((classes["Error"] ?? 0) + (classes["TypeError"] ?? 0)).toBe(failedRequests);
    } finally {
      estate.setScenario("healthy");
    }
    expect(
      await count(`AppServiceHTTPLogs | where _ResourceId =~ '${siteId}' | where ScStatus >= 500`),
    ).toBeLessThanOrEqual(1);
  });

  it("answers a resource-centric query with that site's rows only", async () => {
    const result = await client.queryResource(
      demoIds.apiSite,
      "AppServiceConsoleLogs | where Level !in~ ('error') | take 50",
      { duration: "PT1H" },
    );
    if (result.status !== LogsQueryResultStatus.Success) throw new Error(JSON.stringify(result));
    const t = result.tables[0];
    const names = t?.columnDescriptors.map((c) => c.name) ?? [];
    expect(t?.rows.length).toBe(50);
    const ids = new Set(t?.rows.map((r) => r[names.indexOf("_ResourceId")]));
    expect([...ids]).toEqual([demoIds.apiSite.toLowerCase()]);
    expect(t?.rows[0]?.[names.indexOf("TenantId")]).toBe(demo.workspaceId);
  });

  it("answers a table it does not have, whatever its name, with Log Analytics' 400", async () => {
    const token = await rawToken(estate, "https://api.loganalytics.io");
    for (const name of ["constructor", "__proto__", "AppServiceAuditLogs"]) {
      const response = await call(estate, "POST", `/v1/workspaces/${demo.workspaceId}/query`, {
        token,
        body: { query: `${name} | take 1` },
      });
      expect(response.status, name).toBe(400);
      expect(at(response.body, "error", "innererror", "code")).toBe("SemanticError");
    }
  });
});

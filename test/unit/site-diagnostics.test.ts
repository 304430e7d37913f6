import { strFromU8, unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { loadPolicyFile } from "../../src/shared/config/load.ts";
import { OpsError, isOpsError } from "../../src/shared/errors.ts";
import type { SiteDiagnosticsManifest } from "../../src/shared/operations/site-diagnostics/collect.ts";
import { logsDownload, sinceMs } from "../../src/shared/operations/site-diagnostics/declaration.ts";
import { BinaryFile } from "../../src/shared/procedures/declaration.ts";
import { FakeLogs, FakeMetrics, FixedClock, points } from "../fakes/index.ts";
import { FakeSiteConfig } from "../fakes/site-config.ts";
import { runContext } from "../support/runtime.ts";

const policy = loadPolicyFile("config/ops-policy.json");
const prod = policy.environments.prod!;
const workspace = prod.logAnalyticsWorkspaceId!;
const web = prod.components.webapp!.resourceId;
const now = new Date("2026-12-02T04:05:06.789Z");

/** Values no zip may hold: each would be a leaked secret. */
const secrets = {
  DATABASE_PASSWORD: "hunter2-Zq8v!",
  STORAGE_KEY: "c2VjcmV0LWtleS1ub3QtdG8tbGVhaw==",
  API_TOKEN: "tok_live_7a9b3c1d",
};

function logTable(rows: number) {
  return {
    columns: ["TimeGenerated", "_ResourceId", "CsMethod", "ScStatus"],
    rows: Array.from({ length: rows }, (_, i) => [
      new Date(now.getTime() - (i + 1) * 60_000).toISOString(),
      web.toLowerCase(),
      "GET",
      i % 3 === 0 ? 500 : 200,
    ]),
  };
}

function setup() {
  const siteConfig = new FakeSiteConfig().add(web, {
    site: { state: "Running", httpsOnly: true, kind: "app" },
    config: { alwaysOn: true, minTlsVersion: "1.2", ftpsState: "FtpsOnly", nodeVersion: "~20" },
    appSettings: { ...secrets, NODE_ENV: "production" },
  });
  const metrics = new FakeMetrics();
  metrics.values.set(web, {
    Requests: points("total", 10, 12),
    Http5xx: points("total", 0, 1),
    HttpResponseTime: points("average", 0.2, 0.3),
  });
  const logs = new FakeLogs();
  logs.tables.set(workspace, {
    AppServiceHTTPLogs: logTable(3),
    AppServiceConsoleLogs: { columns: ["TimeGenerated", "_ResourceId", "ResultDescription"], rows: [] },
    // No AppServiceAppLogs: the workspace refuses the query, as Log Analytics refuses an unknown table.
    requests: {
      columns: ["timestamp", "name", "resultCode", "cloud_RoleName"],
      rows: [[now.toISOString(), "GET /", "500", "phoenix-web-prod"]],
    },
    exceptions: { columns: ["timestamp", "type", "cloud_RoleName"], rows: [] },
  });
  return { siteConfig, metrics, logs };
}

async function download(
  ports: ReturnType<typeof setup>,
  input: Record<string, unknown> = { name: "phoenix-web-prod", resourceGroup: "rg-phoenix-prod" },
): Promise<BinaryFile> {
  const parsed = logsDownload.input.parse(input);
  return logsDownload.run(ports, parsed, runContext(policy, new FixedClock(now), "cli"));
}

function files(file: BinaryFile): Record<string, string> {
  return Object.fromEntries(
    Object.entries(unzipSync(file.bytes)).map(([path, data]) => [path, strFromU8(data)]),
  );
}

describe("logs download (az webapp log download)", () => {
  it("answers a zip of the site's log tables, metrics and configuration, named after the site and the time", async () => {
    const file = await download(setup());
    expect(file).toBeInstanceOf(BinaryFile);
    expect(file.contentType).toBe("application/zip");
    expect(file.fileName).toBe("phoenix-web-prod-diagnostics-20261202T040506Z.zip");
    const zip = files(file);
    expect(Object.keys(zip).sort()).toEqual(
      [
        "manifest.json",
        "logs/AppServiceHTTPLogs.jsonl",
        "logs/AppServiceConsoleLogs.jsonl",
        "logs/requests.jsonl",
        "logs/exceptions.jsonl",
        "metrics/site-metrics.json",
        "site/configuration.json",
        "site/app-setting-names.json",
      ].sort(),
    );
    const http = zip["logs/AppServiceHTTPLogs.jsonl"]!.trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(http).toHaveLength(3);
    expect(http[0]).toMatchObject({ _ResourceId: web.toLowerCase(), CsMethod: "GET" });
    // Oldest first, as a log reads.
    expect(String(http[0]!["TimeGenerated"]) < String(http[2]!["TimeGenerated"])).toBe(true);
    const metrics = JSON.parse(zip["metrics/site-metrics.json"]!) as {
      interval: string;
      metrics: Record<string, unknown[]>;
    };
    expect(metrics.interval).toBe("PT5M");
    expect(Object.keys(metrics.metrics)).toEqual(
      expect.arrayContaining(["Requests", "Http5xx", "HttpResponseTime"]),
    );
    const config = JSON.parse(zip["site/configuration.json"]!) as { site: object; config: object };
    expect(config.site).toMatchObject({ state: "Running", httpsOnly: true });
    expect(config.config).toMatchObject({ alwaysOn: true, minTlsVersion: "1.2", ftpsState: "FtpsOnly" });
    const names = JSON.parse(zip["site/app-setting-names.json"]!) as { names: string[] };
    expect(names.names).toEqual(["API_TOKEN", "DATABASE_PASSWORD", "NODE_ENV", "STORAGE_KEY"]);
  });

  it("puts no app setting value anywhere in the zip", async () => {
    const file = await download(setup());
    const everything = Object.values(files(file)).join("\n");
    for (const value of Object.values(secrets)) expect(everything).not.toContain(value);
    // Nor in the compressed bytes, for a value stored uncompressed.
    const raw = Buffer.from(file.bytes).toString("latin1");
    for (const value of Object.values(secrets)) expect(raw).not.toContain(value);
  });

  it("records each source that fails in the manifest and keeps the rest", async () => {
    const ports = setup();
    ports.siteConfig.appSettingsError = new OpsError("Forbidden", "access to app settings was refused (403)");
    ports.metrics.errors.set(web, "metrics endpoint down");
    const zip = files(await download(ports));
    const manifest = JSON.parse(zip["manifest.json"]!) as SiteDiagnosticsManifest;
    const bySource = Object.fromEntries(manifest.sources.map((s) => [s.source, s]));
    expect(bySource["AppServiceAppLogs"]).toMatchObject({ status: "failed", kind: "logs" });
    expect(bySource["AppServiceAppLogs"]?.error).toMatch(/BadArgumentError/);
    expect(bySource["AppServiceAppLogs"]?.query).toContain("AppServiceAppLogs | where _ResourceId =~");
    expect(bySource["metrics"]).toMatchObject({ status: "failed", error: "metrics endpoint down" });
    expect(bySource["app setting names"]).toMatchObject({ status: "failed" });
    expect(bySource["app setting names"]?.error).toContain("403");
    expect(bySource["AppServiceHTTPLogs"]).toMatchObject({
      status: "collected",
      file: "logs/AppServiceHTTPLogs.jsonl",
      rows: 3,
      truncated: false,
    });
    expect(bySource["requests"]).toMatchObject({ status: "collected", rows: 1 });
    expect(bySource["requests"]?.query).toContain("cloud_RoleName =~ 'phoenix-web-prod'");
    expect(bySource["site configuration"]).toMatchObject({ status: "collected" });
    expect(manifest.files.sort()).toEqual(Object.keys(zip).sort());
    expect(manifest.site).toEqual({
      name: "phoenix-web-prod",
      resourceGroup: "rg-phoenix-prod",
      resourceId: web,
      environment: "prod",
    });
    expect(manifest.window).toEqual({
      since: "1h",
      start: new Date(now.getTime() - 3_600_000).toISOString(),
      end: now.toISOString(),
    });
  });

  it("says which site is unknown, and which resource group, as NotFound naming the field", async () => {
    const site = await download(setup(), { name: "phoenix-typo", resourceGroup: "rg-phoenix-prod" }).catch(
      (e: unknown) => e,
    );
    expect(isOpsError(site) && site.code).toBe("NotFound");
    expect((site as OpsError).message).toBe(
      'site "phoenix-typo" was not found in resource group "rg-phoenix-prod"',
    );
    expect((site as OpsError).details.field).toBe("name");
    const group = await download(setup(), { name: "phoenix-web-prod", resourceGroup: "rg-elsewhere" }).catch(
      (e: unknown) => e,
    );
    expect(isOpsError(group) && group.code).toBe("NotFound");
    expect((group as OpsError).message).toContain('unknown resource group "rg-elsewhere"');
    expect((group as OpsError).details.field).toBe("resourceGroup");
  });

  it("does not ask Log Analytics or Azure Monitor about a site that is not there", async () => {
    const ports = setup();
    await download(ports, { name: "phoenix-typo", resourceGroup: "rg-phoenix-prod" }).catch(() => undefined);
    expect(ports.metrics.queries).toHaveLength(0);
  });

  it("reads since as 30m, 1h, 2d or ISO 8601, from a minute to 30 days, and names the field otherwise", async () => {
    expect(sinceMs("30m")).toBe(1_800_000);
    expect(sinceMs("2d")).toBe(172_800_000);
    expect(sinceMs("PT1H")).toBe(3_600_000);
    for (const bad of ["0m", "31d", "1w", "yesterday", "PT0S", ""]) {
      const parsed = logsDownload.input.safeParse({
        name: "phoenix-web-prod",
        resourceGroup: "rg-phoenix-prod",
        since: bad,
      });
      expect(parsed.success, bad).toBe(false);
      expect(parsed.error?.issues[0]?.path).toEqual(["since"]);
    }
    const ports = setup();
    await download(ports, { name: "phoenix-web-prod", resourceGroup: "rg-phoenix-prod", since: "2d" });
    expect(ports.metrics.queries[0]).toMatchObject({ interval: "PT1H" });
    expect(ports.metrics.queries[0]!.end.getTime() - ports.metrics.queries[0]!.start.getTime()).toBe(
      172_800_000,
    );
  });

  it("refuses names that are not a web app's or a resource group's", () => {
    for (const input of [
      { name: "a", resourceGroup: "rg" },
      { name: "phoenix web", resourceGroup: "rg" },
      { name: "x'; drop", resourceGroup: "rg" },
      { name: "phoenix-web-prod", resourceGroup: "rg/../other" },
    ]) {
      expect(logsDownload.input.safeParse(input).success, JSON.stringify(input)).toBe(false);
    }
  });

  it("tells a terminal what the zip holds, and a failed source's reason", async () => {
    const ports = setup();
    const text = logsDownload.table!(await download(ports));
    expect(text).toMatch(/SOURCE\s+STATUS\s+ROWS\s+FILE OR ERROR/);
    expect(text).toMatch(/AppServiceHTTPLogs\s+collected\s+3\s+logs\/AppServiceHTTPLogs\.jsonl/);
    expect(text).toMatch(/AppServiceAppLogs\s+failed\s+.*BadArgumentError/);
    expect(text).toContain("1 of 8 sources could not be read");
  });
});

import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../local/stack.ts";
import { createRuntime } from "../../src/shared/composition/runtime.ts";
import type { AlertsValidation } from "../../src/shared/operations/alert-rules/declaration.ts";
import type { LogsQueryResult } from "../../src/shared/operations/logs/declaration.ts";
import type { MetricsListResult } from "../../src/shared/operations/metrics/declaration.ts";
import { tokenFor } from "../support/incidents.ts";
import { type CliResult, apiSettings, runCli, startTestStack } from "../support/stack.ts";

/** The guide's three small read-only procedures: metrics list, logs query and alerts validate. */
let stack: LocalStack;
let reader: string;
const sub = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
const plan = `/subscriptions/${sub}/resourceGroups/rg-phoenix-prod/providers/Microsoft.Web/serverfarms/asp-phoenix-prod`;
const web = `/subscriptions/${sub}/resourceGroups/rg-phoenix-prod/providers/Microsoft.Web/sites/phoenix-web-prod`;

beforeAll(async () => {
  stack = await startTestStack();
  reader = await tokenFor(stack, "reader");
  // The platform's managed-identity contract: the credential reads these from the process environment.
  process.env.IDENTITY_ENDPOINT = stack.settings.IDENTITY_ENDPOINT;
  process.env.IDENTITY_HEADER = stack.settings.IDENTITY_HEADER;
});
afterAll(async () => {
  await stack?.close();
});

function cli(args: string[]): Promise<CliResult> {
  return runCli(args, apiSettings(stack));
}

describe("phoenix-ops metrics list (az monitor metrics list)", () => {
  it("prints the plan's CpuPercentage with the guide's flags", async () => {
    const result = await cli([
      "metrics",
      "list",
      "--resource",
      plan,
      "--metric",
      "CpuPercentage",
      "--interval",
      "PT1H",
    ]);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("CpuPercentage (Percent)");
    expect(result.stdout).toMatch(/TIMESTAMP \(UTC\)\s+AVERAGE/);
  });

  it("answers JSON with the same series the adapter reads", async () => {
    const end = new Date(Math.floor(Date.now() / 300_000) * 300_000).toISOString();
    const start = new Date(Date.parse(end) - 3_600_000).toISOString();
    const result = await cli([
      "metrics",
      "list",
      "--resource",
      web,
      "--metric",
      "Requests",
      "--interval",
      "PT5M",
      "--aggregation",
      "total,maximum",
      "--start-time",
      start,
      "--end-time",
      end,
      "--output",
      "json",
    ]);
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout) as MetricsListResult;
    expect(body.aggregations).toEqual(["total", "maximum"]);
    expect(body.points.length).toBeGreaterThanOrEqual(12);
    const direct = await createRuntime({ env: stack.settings }).ports.metricSeries.getSeries({
      resourceId: web,
      metricName: "Requests",
      aggregations: ["total", "maximum"],
      start: new Date(start),
      end: new Date(end),
      interval: "PT5M",
    });
    expect(body.points.map((p) => p.timeStamp)).toEqual(direct.points.map((p) => p.timeStamp));
  });

  it("names the metrics a resource has when the metric is unknown, with the usage code", async () => {
    const result = await cli(["metrics", "list", "--resource", plan, "--metric", "Bogus"]);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain('has no metric "Bogus"; it has: CpuPercentage');
  });

  it("refuses a resource outside the policy's environments and a bad interval", async () => {
    const stray =
      "/subscriptions/99999999-8888-4777-8666-555555555555/resourceGroups/constructor/providers/Microsoft.Web/sites/x";
    const outside = await cli(["metrics", "list", "--resource", stray, "--metric", "Requests"]);
    expect(outside.code).toBe(64);
    expect(outside.stderr).toContain("in no environment of the ops policy");
    const interval = await cli([
      "metrics",
      "list",
      "--resource",
      plan,
      "--metric",
      "CpuPercentage",
      "--interval",
      "PT2H",
    ]);
    expect(interval.code).toBe(64);
  });

  it("needs Ops.Reader over HTTP", async () => {
    const url = `${stack.hostUrl}/api/metrics?resource=${encodeURIComponent(plan)}&metric=CpuPercentage`;
    expect((await fetch(url)).status).toBe(401);
    expect(
      (await fetch(url, { headers: { authorization: `Bearer ${await tokenFor(stack, "noRoles")}` } })).status,
    ).toBe(403);
    expect((await fetch(url, { headers: { authorization: `Bearer ${reader}` } })).status).toBe(200);
  });
});

describe("phoenix-ops logs query (az monitor log-analytics query)", () => {
  it("runs the guide's query against the workspace named in the policy", async () => {
    const result = await cli([
      "logs",
      "query",
      "--workspace-name",
      "log-phoenix-prod",
      "--query",
      "requests | where timestamp > ago(1h)",
      "--output",
      "json",
    ]);
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout) as LogsQueryResult;
    expect(body.columns).toContain("resultCode");
    expect(body.rows.length).toBeGreaterThan(0);
  });

  it("keeps to the row limit and says so", async () => {
    const result = await cli([
      "logs",
      "query",
      "--workspace-name",
      "log-phoenix-prod",
      "--query",
      "requests",
      "--limit",
      "2",
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/first 2 of \d+ rows/);
  });

  it("answers a KQL mistake and an unknown workspace with what is wrong", async () => {
    const kql = await cli([
      "logs",
      "query",
      "--workspace-name",
      "log-phoenix-prod",
      "--query",
      "requests | wher x",
    ]);
    expect(kql.code).toBe(64);
    expect(kql.stderr).toContain("the query was refused");
    expect(kql.stderr).toContain("wher");
    for (const name of ["nowhere", "constructor", "__proto__"]) {
      const unknown = await cli(["logs", "query", "--workspace-name", name, "--query", "requests"]);
      expect(unknown.code).toBe(64);
      expect(unknown.stderr).toContain(`unknown workspace "${name}"; known: log-phoenix-prod`);
    }
  });
});

describe("phoenix-ops alerts validate (the guide's Alert Configuration)", () => {
  it("validates the repository's policy and prints the metric alert rule it stands for, with no app", async () => {
    const result = await runCli(["alerts", "validate", "--output", "json"], {});
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout) as AlertsValidation;
    expect(body.valid).toBe(true);
    const rule = body.metricAlertRules.find((r) => r.name === "high-cpu-usage");
    expect(rule?.properties.criteria.allOf[0]).toMatchObject({
      metricName: "CpuPercentage",
      metricNamespace: "Microsoft.Web/serverfarms",
      operator: "GreaterThan",
      threshold: 80,
    });
    expect(rule?.properties.windowSize).toBe("PT5M");
  });

  it("names each wrong rule: a metric its target does not have, an unknown target, a missing threshold", async () => {
    const dir = await mkdtemp(join(tmpdir(), "phoenix-alerts-"));
    const policy = JSON.parse(await readFile("config/ops-policy.json", "utf8")) as { alertRules: unknown[] };
    policy.alertRules = [
      {
        name: "a",
        threshold: 1,
        window: "PT5M",
        action: { type: "email", recipients: ["o@p.tech"] },
        metric: "Http5xx",
        target: { environment: "prod", resource: "plan" },
      },
      {
        name: "b",
        threshold: 1,
        window: "PT5M",
        action: { type: "email", recipients: ["o@p.tech"] },
        metric: "Requests",
        target: { environment: "constructor", resource: "webapp" },
      },
      {
        name: "c",
        window: "PT5M",
        action: { type: "email", recipients: ["o@p.tech"] },
        metric: "Requests",
        target: { environment: "prod", resource: "toString" },
      },
    ];
    const file = join(dir, "policy.json");
    await writeFile(file, JSON.stringify(policy));
    const result = await runCli(["alerts", "validate", "--file", file], {});
    expect(result.code).toBe(2);
    expect(result.stdout).toContain("INVALID");
    expect(result.stdout).toContain('alertRules.0.metric: Microsoft.Web/serverfarms has no metric "Http5xx"');
    expect(result.stdout).toContain('alertRules.1.target.environment: no environment "constructor"');
    expect(result.stdout).toContain("alertRules.2.threshold: a metric rule needs a threshold");
    expect(result.stdout).toContain('alertRules.2.target.resource: no component "toString"');
  });

  it("says when the file cannot be read, with the usage code", async () => {
    const result = await runCli(["alerts", "validate", "--file", "no/such/file.json"], {});
    expect(result.code).toBe(64);
    expect(result.stderr).toContain("cannot read no/such/file.json (ENOENT)");
  });
});

describe("names from outside on every CLI command that takes one", () => {
  it.each([
    [["health-check", "--environment", "constructor"], 'unknown environment "constructor"'],
    [["health-check", "--components", "constructor"], '"constructor"'],
    [["health-check", "--components", ",,"], "--components"],
    [["health-checks", "list", "--environment", "__proto__"], 'unknown environment "__proto__"'],
    [["health-checks", "show", "toString", "20990101T000000-deadbeef"], 'unknown environment "toString"'],
    [["incidents", "show", "constructor"], "no incident constructor"],
    [
      ["incident-response", "--severity", "high", "--environment", "constructor"],
      'unknown environment "constructor"',
    ],
  ])("%j is an unknown name with the usage code", async (args, message) => {
    const result = await cli(args);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toMatch(/TypeError|\n\s+at /);
  });
});

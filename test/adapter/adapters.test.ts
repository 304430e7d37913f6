import { readdir } from "node:fs/promises";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { LocalStack } from "../../local/stack.ts";
import { FetchHealthProbe } from "../../src/shared/adapters/http-probe.ts";
import { type Runtime, createRuntime } from "../../src/shared/composition/runtime.ts";
import { isOpsError } from "../../src/shared/errors.ts";
import { databaseMetrics, siteMetrics } from "../../src/shared/operations/health-check/signals.ts";
import { startTestStack } from "../support/stack.ts";

/** The adapters, built by the composition root exactly as in production, against the local estate. */
let stack: LocalStack;
let services: Runtime;
const sub = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
const rg = `/subscriptions/${sub}/resourceGroups/rg-phoenix-prod/providers`;
const web = `${rg}/Microsoft.Web/sites/phoenix-web-prod`;
const apiSite = `${rg}/Microsoft.Web/sites/phoenix-api-prod`;
const db = `${rg}/Microsoft.Sql/servers/sql-phoenix-prod/databases/phoenixdb`;

beforeAll(async () => {
  stack = await startTestStack({ withHost: false });
  // The platform's managed-identity contract: the credential reads these from the process environment.
  process.env.IDENTITY_ENDPOINT = stack.settings.IDENTITY_ENDPOINT;
  process.env.IDENTITY_HEADER = stack.settings.IDENTITY_HEADER;
  services = createRuntime({ env: stack.settings });
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => {
  stack.estate.setScenario("healthy");
  stack.estate.clearFaults();
  stack.estate.resetStats();
});

function calls(route: string): number {
  return stack.estate.stats().byRoute[route] ?? 0;
}

describe("ArmInventory (Resource Manager through @azure/arm-appservice and @azure/arm-sql)", () => {
  it("reads the state of sites and databases", async () => {
    const states = await services.ports.inventory.getStates([web, apiSite, db]);
    expect(states.get(web)).toMatchObject({ exists: true, state: "Running" });
    expect(states.get(apiSite)).toMatchObject({ exists: true, state: "Running" });
    expect(states.get(db)).toMatchObject({ exists: true, state: "Online" });
  });

  it("reports resources that do not exist, in an existing or a missing resource group", async () => {
    const ghost = `${rg}/Microsoft.Web/sites/nobody-home`;
    const elsewhere = `/subscriptions/${sub}/resourceGroups/rg-gone/providers/Microsoft.Web/sites/x`;
    stack.estate.setScenario("resource-missing");
    const states = await services.ports.inventory.getStates([ghost, elsewhere, db]);
    expect(states.get(ghost)).toEqual({ resourceId: ghost, exists: false });
    expect(states.get(elsewhere)).toEqual({ resourceId: elsewhere, exists: false });
    expect(states.get(db)).toEqual({ resourceId: db, exists: false });
  });

  it("lists a resource group page by page instead of reading each resource", async () => {
    const seed = stack.estate.seedBench({ environment: "inventory", webapps: 150, apis: 100, databases: 0 });
    const ids = Object.values(seed.components as Record<string, { resourceId: string }>).map(
      (c) => c.resourceId,
    );
    stack.estate.resetStats();
    const states = await services.ports.inventory.getStates(ids);
    expect([...states.values()].every((s) => s.exists)).toBe(true);
    expect(stack.estate.stats().calls).toBe(3); // 250 sites, pages of 100
  });
});

describe("MonitorMetricsReader (metrics:getBatch through @azure/monitor-query-metrics)", () => {
  const end = new Date();
  const start = new Date(end.getTime() - 15 * 60_000);

  it("returns every requested metric's datapoints, keyed by metric name", async () => {
    const result = await services.ports.metrics.query({
      resourceIds: [db],
      namespace: databaseMetrics.namespace,
      metricNames: databaseMetrics.names,
      aggregations: databaseMetrics.aggregations,
      start,
      end,
      interval: "PT5M",
      region: "westeurope",
    });
    const metrics = result.get(db)?.metrics;
    expect([...(metrics?.keys() ?? [])].sort()).toEqual([...databaseMetrics.names].sort());
    expect(metrics?.get("cpu_percent")?.length).toBeGreaterThan(0);
  });

  it("batches 50 resources per call", async () => {
    const seed = stack.estate.seedBench({ environment: "metrics", webapps: 120, apis: 0, databases: 0 });
    const ids = Object.values(seed.components as Record<string, { resourceId: string }>).map(
      (c) => c.resourceId,
    );
    stack.estate.resetStats();
    const result = await services.ports.metrics.query(
      {
        resourceIds: ids,
        namespace: siteMetrics.namespace,
        metricNames: siteMetrics.names,
        aggregations: siteMetrics.aggregations,
        start,
        end,
        interval: "PT5M",
        region: "westeurope",
      },
      { concurrency: 2 },
    );
    expect(calls("metrics-batch")).toBe(3);
    expect([...result.values()].every((r) => r.metrics?.get("Requests")?.length)).toBe(true);
  });

  it("marks a resource Azure Monitor does not know as unreadable", async () => {
    stack.estate.setScenario("resource-missing");
    const result = await services.ports.metrics.query({
      resourceIds: [db],
      namespace: databaseMetrics.namespace,
      metricNames: databaseMetrics.names,
      aggregations: databaseMetrics.aggregations,
      start,
      end,
      interval: "PT5M",
      region: "westeurope",
    });
    expect(result.get(db)?.error).toContain("ResourceNotFound");
  });

  it("retries a throttled batch, honouring Retry-After", async () => {
    stack.estate.addFault({ pathPattern: "metrics:getBatch", status: 429, retryAfterSeconds: 1, count: 1 });
    const result = await services.ports.metrics.query({
      resourceIds: [web],
      namespace: siteMetrics.namespace,
      metricNames: siteMetrics.names,
      aggregations: siteMetrics.aggregations,
      start,
      end,
      interval: "PT5M",
      region: "westeurope",
    });
    expect(result.get(web)?.error).toBeUndefined();
    expect(calls("metrics-batch")).toBe(2);
  });
});

describe("FetchHealthProbe", () => {
  const probe = new FetchHealthProbe();
  const url = (site: string): string => `${stack.estate.url}/_sites/${site}/health`;

  it("measures a healthy answer", async () => {
    const result = await probe.probe(url("phoenix-web-prod"), { timeoutInMs: 5000 });
    expect(result.statusCode).toBe(200);
    expect(result.error).toBeUndefined();
  });

  it("reports the status of a failing site", async () => {
    stack.estate.setScenario("webapp-errors");
    expect((await probe.probe(url("phoenix-web-prod"), { timeoutInMs: 5000 })).statusCode).toBe(503);
  });

  it("gives up after its timeout", async () => {
    stack.estate.setScenario("api-slow");
    const result = await probe.probe(url("phoenix-api-prod"), { timeoutInMs: 200 });
    expect(result.error).toBe("no answer within 200 ms");
  });

  it("reports a refused connection", async () => {
    const result = await probe.probe("http://127.0.0.1:9/health", { timeoutInMs: 2000 });
    expect(result.error).toMatch(/ECONNREFUSED|fetch failed/);
  });
});

describe("AcsEmailSender (Communication Runtime Email through @azure/communication-email)", () => {
  const message = (key: string) => ({
    to: ["ops@phoenixvc.tech"],
    subject: `test ${key}`,
    html: "<p>hi</p>",
    text: "hi",
    idempotencyKey: key,
  });
  const emlCount = async (): Promise<number> =>
    (await readdir(stack.outboxDir)).filter((f) => f.endsWith(".eml")).length;

  it("delivers once, even when the same message is sent again", async () => {
    const before = await emlCount();
    const first = await services.ports.email.send(message("same-key"));
    const again = await services.ports.email.send(message("same-key"));
    expect(again.messageId).toBe(first.messageId);
    expect(await emlCount()).toBe(before + 1);
  });

  it("retries while the service answers 503, then delivers once", async () => {
    const before = await emlCount();
    stack.estate.addFault({ pathPattern: "emails:send", status: 503, retryAfterSeconds: 0, count: 2 });
    await services.ports.email.send(message("after-503"));
    expect(await emlCount()).toBe(before + 1);
  });

  it("reports a service that keeps failing as EmailFailed", async () => {
    stack.estate.addFault({ pathPattern: "emails:send", status: 500 });
    const error: unknown = await services.ports.email.send(message("never")).catch((e: unknown) => e);
    expect(isOpsError(error) && error.code).toBe("EmailFailed");
  });
});

import { readdir } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../local/stack.ts";
import { type Runtime, createRuntime } from "../../src/shared/composition/runtime.ts";
import { isOpsError } from "../../src/shared/errors.ts";
import type { EmailSender } from "../../src/shared/ports/email-sender.ts";
import type { ResourceInventory } from "../../src/shared/ports/resource-inventory.ts";
import type { HealthProbe } from "../../src/shared/ports/health-probe.ts";
import type { LogsReader } from "../../src/shared/ports/logs-reader.ts";
import type { MetricSeriesReader } from "../../src/shared/ports/metric-series-reader.ts";
import type { MetricsReader } from "../../src/shared/ports/metrics-reader.ts";
import { FetchHealthProbe } from "../../src/shared/adapters/http-probe.ts";
import {
  FakeEmail,
  FakeInventory,
  FakeLogs,
  FakeMetricSeries,
  FakeMetrics,
  FakeProbe,
  points,
} from "../fakes/index.ts";
import { startTestStack } from "../support/stack.ts";

/**
 * The ports over Azure services, each run against its in-memory fake and its real adapter on the
 * local estate: the fakes the operation tests trust must answer as the adapters do.
 */
let stack: LocalStack;
let runtime: Runtime;
const sub = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
const rg = `/subscriptions/${sub}/resourceGroups/rg-phoenix-prod/providers`;
const web = `${rg}/Microsoft.Web/sites/phoenix-web-prod`;
const db = `${rg}/Microsoft.Sql/servers/sql-phoenix-prod/databases/phoenixdb`;
const gone = `${rg}/Microsoft.Web/sites/phoenix-gone`;

beforeAll(async () => {
  stack = await startTestStack({ withHost: false });
  process.env.IDENTITY_ENDPOINT = stack.settings.IDENTITY_ENDPOINT;
  process.env.IDENTITY_HEADER = stack.settings.IDENTITY_HEADER;
  runtime = createRuntime({ env: stack.settings });
});
afterAll(async () => {
  await stack?.close();
});

const inventories: [string, () => ResourceInventory][] = [
  [
    "in-memory fake",
    () => {
      const fake = new FakeInventory();
      fake.missing.add(gone);
      return fake;
    },
  ],
  ["Resource Manager adapter on the local estate", () => runtime.ports.inventory],
];

describe.each(inventories)("ResourceInventory contract: %s", (_name, make) => {
  it("answers every id asked for: the state of what exists, exists: false for what does not", async () => {
    const states = await make().getStates([web, db, gone]);
    expect([...states.keys()].sort()).toEqual([web, db, gone].sort());
    expect(states.get(web)).toMatchObject({ resourceId: web, exists: true, state: "Running" });
    expect(states.get(db)).toMatchObject({ resourceId: db, exists: true, state: "Online" });
    expect(states.get(gone)).toMatchObject({ resourceId: gone, exists: false });
  });

  it("answers nothing for nothing asked", async () => {
    expect((await make().getStates([])).size).toBe(0);
  });
});

const senders: [string, () => { sender: EmailSender; delivered: () => Promise<number>; fail: () => void }][] =
  [
    [
      "in-memory fake",
      () => {
        const fake = new FakeEmail();
        return {
          sender: fake,
          delivered: async () => fake.sent.length,
          fail: () => {
            fake.failuresLeft = 100;
          },
        };
      },
    ],
    [
      "Communication Services adapter on the local estate",
      () => ({
        sender: runtime.ports.email,
        delivered: async () => (await readdir(stack.outboxDir)).filter((f) => f.endsWith(".eml")).length,
        fail: () => stack.estate.addFault({ pathPattern: "emails:send", status: 500 }),
      }),
    ],
  ];

describe.each(senders)("EmailSender contract: %s", (_name, make) => {
  const message = (key: string) => ({
    to: ["ops@phoenixvc.tech"],
    subject: `contract ${key}`,
    html: "<p>contract</p>",
    text: "contract",
    idempotencyKey: key,
  });

  it("delivers once per idempotency key, however often it is sent", async () => {
    const { sender, delivered } = make();
    const before = await delivered();
    const key = `contract-${Math.random().toString(36).slice(2)}`;
    const first = await sender.send(message(key));
    const again = await sender.send(message(key));
    expect(again.messageId).toBe(first.messageId);
    expect((await delivered()) - before).toBe(1);
  });

  it("reports a service that keeps failing as EmailFailed", async () => {
    const { sender, fail } = make();
    fail();
    const error: unknown = await sender.send(message(`never-${Math.random()}`)).catch((e: unknown) => e);
    stack.estate.clearFaults();
    expect(isOpsError(error) && error.code).toBe("EmailFailed");
  });
});

const api = `${rg}/Microsoft.Web/sites/phoenix-api-prod`;
const plan = `${rg}/Microsoft.Web/serverfarms/asp-phoenix-prod`;
const workspaceId = "3b5e8f7a-1c2d-4e6f-9a0b-1c2d3e4f5a6b";

const metricsReaders: [string, () => { reader: MetricsReader; fail: () => void }][] = [
  [
    "in-memory fake",
    () => {
      const fake = new FakeMetrics();
      for (const id of [web, api])
        fake.values.set(id, { Requests: points("total", 10, 12), Http5xx: points("total", 0, 1) });
      return { reader: fake, fail: () => (fake.failNamespace = "Microsoft.Web/sites") };
    },
  ],
  [
    "metrics:getBatch adapter on the local estate",
    () => ({
      reader: runtime.ports.metrics,
      fail: () =>
        stack.estate.addFault({ pathPattern: "metrics:getBatch", status: 503, retryAfterSeconds: 0 }),
    }),
  ],
];

describe.each(metricsReaders)("MetricsReader contract: %s", (_name, make) => {
  const query = () => {
    const end = new Date();
    return {
      resourceIds: [web, api],
      namespace: "Microsoft.Web/sites",
      metricNames: ["Requests", "Http5xx"],
      aggregations: ["total"] as const,
      start: new Date(end.getTime() - 15 * 60_000),
      end,
      interval: "PT5M",
      region: "westeurope",
    };
  };

  it("answers each resource with each metric asked for, by the name it was asked by", async () => {
    const result = await make().reader.query(query());
    expect([...result.keys()].sort()).toEqual([web, api].sort());
    for (const id of [web, api]) {
      const entry = result.get(id);
      expect(entry?.error).toBeUndefined();
      expect([...(entry?.metrics?.keys() ?? [])].sort()).toEqual(["Http5xx", "Requests"]);
      expect(entry?.metrics?.get("Requests")?.length).toBeGreaterThan(0);
    }
  });

  it("marks each resource of a batch that fails with the error instead of throwing", async () => {
    const { reader, fail } = make();
    fail();
    const result = await reader.query(query());
    stack.estate.clearFaults();
    for (const id of [web, api]) expect(result.get(id)?.error).toBeTruthy();
  });
});

const seriesReaders: [string, () => MetricSeriesReader][] = [
  [
    "in-memory fake",
    () => {
      const fake = new FakeMetricSeries();
      fake.resources.set(plan, {
        CpuPercentage: { unit: "Percent", value: 40 },
        MemoryPercentage: { unit: "Percent", value: 50 },
      });
      return fake;
    },
  ],
  ["Metrics_List adapter on the local estate", () => runtime.ports.metricSeries],
];

describe.each(seriesReaders)("MetricSeriesReader contract: %s", (_name, make) => {
  it("lists a resource's metrics and reads one as points inside the window, one per interval", async () => {
    const reader = make();
    expect(await reader.listMetricNames(plan)).toContain("CpuPercentage");
    const end = new Date(Math.floor(Date.now() / 300_000) * 300_000);
    const start = new Date(end.getTime() - 3_600_000);
    const series = await reader.getSeries({
      resourceId: plan,
      metricName: "CpuPercentage",
      aggregations: ["average"],
      start,
      end,
      interval: "PT5M",
    });
    expect(series).toMatchObject({ resourceId: plan, metricName: "CpuPercentage", unit: "Percent" });
    expect(series.points.length).toBeGreaterThanOrEqual(11);
    expect(series.points.length).toBeLessThanOrEqual(13);
    for (const p of series.points) {
      expect(Date.parse(p.timeStamp)).toBeGreaterThanOrEqual(start.getTime() - 300_000);
      expect(Date.parse(p.timeStamp)).toBeLessThan(end.getTime() + 300_000);
      expect(typeof p.average).toBe("number");
    }
  });

  it("says NotFound for a resource that does not exist", async () => {
    const error: unknown = await make()
      .listMetricNames(`${rg}/Microsoft.Web/serverfarms/nowhere`)
      .catch((e: unknown) => e);
    expect(isOpsError(error) && error.code).toBe("NotFound");
  });
});

const logReaders: [string, () => LogsReader][] = [
  [
    "in-memory fake",
    () => {
      const fake = new FakeLogs();
      fake.tables.set(workspaceId, {
        requests: {
          columns: ["timestamp", "name", "resultCode"],
          rows: [
            ["2026-12-01T00:00:00Z", "GET /", "200"],
            ["2026-12-01T00:00:01Z", "GET /a", "500"],
          ],
        },
      });
      return fake;
    },
  ],
  ["Log Analytics adapter on the local estate", () => runtime.ports.logs],
];

describe.each(logReaders)("LogsReader contract: %s", (_name, make) => {
  it("answers a table's columns and rows", async () => {
    const table = await make().query(workspaceId, "requests | take 1", { durationInMs: 3_600_000 });
    expect(table.columns).toEqual(expect.arrayContaining(["timestamp", "name", "resultCode"]));
    expect(table.rows).toHaveLength(1);
  });

  it("refuses a KQL mistake as Log Analytics does: a 400 in the error's details", async () => {
    const error: unknown = await make()
      .query(workspaceId, "requests | wher x", { durationInMs: 3_600_000 })
      .catch((e: unknown) => e);
    expect(isOpsError(error) && error.details.statusCode).toBe(400);
  });
});

const probes: [string, () => { probe: HealthProbe; healthy: string; down: string }][] = [
  [
    "in-memory fake",
    () => {
      const fake = new FakeProbe();
      fake.results.set("https://down.example/health", { durationInMs: 5, error: "connect ECONNREFUSED" });
      return { probe: fake, healthy: "https://up.example/health", down: "https://down.example/health" };
    },
  ],
  [
    "fetch adapter on the local estate",
    () => ({
      probe: new FetchHealthProbe(),
      healthy: `${stack.estate.url}/_sites/phoenix-web-prod/health`,
      down: "https://127.0.0.1:1/health",
    }),
  ],
];

describe.each(probes)("HealthProbe contract: %s", (_name, make) => {
  it("answers a health URL's status and time, and a URL that cannot be reached with an error, never a throw", async () => {
    const { probe, healthy, down } = make();
    const ok = await probe.probe(healthy, { timeoutInMs: 5000 });
    expect(ok).toMatchObject({ url: healthy, statusCode: 200 });
    expect(ok.durationInMs).toBeGreaterThanOrEqual(0);
    const failed = await probe.probe(down, { timeoutInMs: 2000 });
    expect(failed.url).toBe(down);
    expect(failed.error).toBeTruthy();
    expect(failed.statusCode).toBeUndefined();
  });
});

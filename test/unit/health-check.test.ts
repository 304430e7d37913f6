import { beforeEach, describe, expect, it } from "vitest";
import { loadPolicyFile } from "../../src/shared/config/load.ts";
import type { OpsPolicy } from "../../src/shared/config/policy.ts";
import { isOpsError } from "../../src/shared/errors.ts";
import { silentLogger } from "../../src/shared/log.ts";
import { runScheduledTick } from "../../src/shared/edge/timer.ts";
import { healthCheck } from "../../src/shared/operations/health-check/declaration.ts";
import {
  type HealthCheckRequest,
  runHealthCheck,
} from "../../src/shared/operations/health-check/operation.ts";
import type { HealthReport } from "../../src/shared/operations/health-check/report.ts";
import type { Trigger } from "../../src/shared/procedures/declaration.ts";
import {
  FakeEmail,
  FakeInventory,
  FakeMetrics,
  FakeProbe,
  FixedClock,
  MemoryRunClaims,
  MemoryRunHistory,
  points,
} from "../fakes/index.ts";
import { fakeRuntime, runContext } from "../support/runtime.ts";

const policy: OpsPolicy = loadPolicyFile("config/ops-policy.json");
const prod = policy.environments.prod!;
const web = prod.components.webapp!;
const api = prod.components.api!;
const db = prod.components.database!;

function healthyMetrics(metrics: FakeMetrics): void {
  metrics.values.set(web.resourceId, {
    HttpResponseTime: points("average", 0.2, 0.3, 0.25),
    Http5xx: points("total", 1, 0, 1),
    Requests: points("total", 1000, 1000, 1000),
  });
  metrics.values.set(api.resourceId, {
    HttpResponseTime: points("average", 0.1, 0.12),
    Http5xx: points("total", 0, 0),
    Requests: points("total", 500, 500),
  });
  metrics.values.set(db.resourceId, {
    sessions_percent: points("maximum", 30, 35),
    workers_percent: points("maximum", 20, 22),
    connection_failed: points("total", 0, 0),
    cpu_percent: points("average", 25, 30),
    deadlock: points("total", 0, 0),
  });
}

let deps: {
  inventory: FakeInventory;
  metrics: FakeMetrics;
  probe: FakeProbe;
  email: FakeEmail;
  runHistory: MemoryRunHistory;
  runClaims: MemoryRunClaims;
  clock: FixedClock;
  /** The kept reports, oldest first. */
  readonly runs: HealthReport[];
};

beforeEach(() => {
  const runHistory = new MemoryRunHistory();
  deps = {
    inventory: new FakeInventory(),
    metrics: new FakeMetrics(),
    probe: new FakeProbe(),
    email: new FakeEmail(),
    runHistory,
    runClaims: new MemoryRunClaims(),
    clock: new FixedClock(new Date("2026-11-26T06:00:00Z")),
    get runs() {
      return runHistory.documents<HealthReport>("health");
    },
  };
  healthyMetrics(deps.metrics);
});

function check(request: HealthCheckRequest & { trigger: Trigger }): Promise<HealthReport> {
  return runHealthCheck(
    deps,
    request,
    runContext(policy, deps.clock, request.trigger, { logger: silentLogger }),
  );
}

function tick(owner: string) {
  const runtime = fakeRuntime({ policy, clock: deps.clock, ports: deps });
  return runScheduledTick(healthCheck, runtime, silentLogger, owner);
}

describe("health check", () => {
  it("reports a healthy estate as ok, stores the run and emails nobody", async () => {
    const report = await check({ environment: "prod", trigger: "cli" });
    expect(report.status).toBe("ok");
    expect(report.components.map((c) => [c.name, c.status])).toEqual([
      ["webapp", "ok"],
      ["api", "ok"],
      ["database", "ok"],
    ]);
    const webSignals = report.components[0]!.signals;
    expect(webSignals.map((s) => s.name)).toEqual(["availability", "responseTime", "errorRate", "probe"]);
    expect(webSignals.find((s) => s.name === "responseTime")!.value).toBe(250);
    expect(webSignals.find((s) => s.name === "errorRate")!.value).toBeCloseTo(0.07, 2);
    expect(deps.email.sent).toHaveLength(0);
    expect(deps.runs).toHaveLength(1);
    expect(deps.runs[0]!.runId).toBe(report.runId);
  });

  it("asks for metrics once per resource type with the configured window", async () => {
    await check({ environment: "prod", trigger: "cli" });
    expect(deps.metrics.queries.map((q) => [q.namespace, q.resourceIds.length])).toEqual([
      ["Microsoft.Web/sites", 2],
      ["Microsoft.Sql/servers/databases", 1],
    ]);
    const q = deps.metrics.queries[0]!;
    expect(q.end.getTime() - q.start.getTime()).toBe(policy.healthCheck.windowMinutes * 60_000);
    expect(q.region).toBe("westeurope");
  });

  it("turns a 5xx spike into a critical error rate and emails the recipients once", async () => {
    deps.metrics.values.get(web.resourceId)!.Http5xx = points("total", 150, 160, 140);
    const report = await check({ environment: "prod", trigger: "timer" });
    const errorRate = report.components[0]!.signals.find((s) => s.name === "errorRate")!;
    expect(errorRate).toMatchObject({
      status: "critical",
      value: 15,
      threshold: { warning: 1, critical: 5 },
    });
    expect(report.components[0]!.status).toBe("critical");
    expect(report.status).toBe("critical");
    expect(deps.email.sent).toHaveLength(1);
    expect(deps.email.sent[0]!.to).toEqual(["ops@phoenixvc.tech"]);
    expect(deps.email.sent[0]!.subject).toContain("webapp critical");
    expect(report.notification).toEqual({ sent: true, recipients: ["ops@phoenixvc.tech"] });
  });

  it("judges the API success rate with lower being worse", async () => {
    deps.metrics.values.get(api.resourceId)!.Http5xx = points("total", 10, 10);
    const report = await check({ environment: "prod", trigger: "cli", notify: false });
    const success = report.components[1]!.signals.find((s) => s.name === "successRate")!;
    expect(success.value).toBe(98);
    expect(success.status).toBe("warning");
    expect(report.status).toBe("warning");
  });

  it("reports missing datapoints as unknown, never ok", async () => {
    deps.metrics.values.set(web.resourceId, { HttpResponseTime: [], Http5xx: [], Requests: [] });
    const report = await check({ environment: "prod", trigger: "cli", notify: false });
    const signals = report.components[0]!.signals;
    expect(signals.find((s) => s.name === "responseTime")).toMatchObject({
      status: "unknown",
      value: null,
      reason: "no datapoints in the window",
    });
    expect(report.components[0]!.status).toBe("unknown");
    expect(report.status).toBe("unknown");
  });

  it("keeps checking the other components when one source fails", async () => {
    deps.metrics.failNamespace = "Microsoft.Sql/servers/databases";
    const report = await check({ environment: "prod", trigger: "cli", notify: false });
    expect(report.components.map((c) => c.status)).toEqual(["ok", "ok", "unknown"]);
    expect(report.components[2]!.signals[1]!.reason).toContain("metrics endpoint down");
  });

  it("says a resource that does not exist is unknown, with the reason", async () => {
    deps.inventory.states.set(db.resourceId, { resourceId: db.resourceId, exists: false });
    const report = await check({ environment: "prod", trigger: "cli", notify: false });
    const database = report.components[2]!;
    expect(database.status).toBe("unknown");
    expect(database.signals.every((s) => s.status === "unknown")).toBe(true);
    expect(database.signals[0]!.reason).toBe("the resource does not exist");
  });

  it("treats a stopped site and a failing health URL as critical", async () => {
    deps.inventory.states.set(web.resourceId, { resourceId: web.resourceId, exists: true, state: "Stopped" });
    deps.probe.results.set(api.kind === "api" ? api.healthUrl! : "", {
      durationInMs: 5000,
      error: "no answer within 5000 ms",
    });
    const report = await check({ environment: "prod", trigger: "cli", notify: false });
    expect(report.components[0]!.signals[0]).toMatchObject({
      status: "critical",
      reason: "resource is Stopped",
    });
    expect(report.components[1]!.signals.find((s) => s.name === "probe")).toMatchObject({
      status: "critical",
    });
  });

  it("checks only the components asked for", async () => {
    const report = await check({ environment: "prod", components: ["api"], trigger: "cli" });
    expect(report.components.map((c) => c.name)).toEqual(["api"]);
    expect(deps.metrics.queries.find((q) => q.namespace.startsWith("Microsoft.Sql"))!.resourceIds).toEqual(
      [],
    );
  });

  it("names unknown environments and components in its error", async () => {
    await expect(check({ environment: "qa", trigger: "cli" })).rejects.toThrow(/unknown environment "qa"/);
    const error: unknown = await check({
      environment: "prod",
      components: ["webapp", "cache", "queue"],
      trigger: "cli",
    }).catch((e: unknown) => e);
    expect(isOpsError(error) && error.code).toBe("BadRequest");
    expect((error as Error).message).toContain('"cache", "queue"');
  });

  it("keeps the run and records the failure when the email service refuses", async () => {
    deps.metrics.values.get(web.resourceId)!.Http5xx = points("total", 500, 500, 500);
    deps.email.failuresLeft = 1;
    const report = await check({ environment: "prod", trigger: "timer" });
    expect(report.notification).toMatchObject({ sent: false, error: "email service unavailable" });
    expect(deps.runs[0]!.notification?.sent).toBe(false);
  });

  it("escapes values from Azure in the email's HTML", async () => {
    deps.inventory.states.set(web.resourceId, {
      resourceId: web.resourceId,
      exists: true,
      state: '<img src=x onerror="alert(1)">',
    });
    await check({ environment: "prod", trigger: "timer" });
    const html = deps.email.sent[0]!.html;
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
  });
});

describe("scheduled health check", () => {
  it("waits for the policy's hour", async () => {
    deps.clock.time = new Date("2026-11-26T05:00:00Z");
    const outcome = await tick("a");
    expect(outcome.ran).toHaveLength(0);
    expect(deps.runs).toHaveLength(0);
  });

  it("runs each environment once a day however many ticks arrive", async () => {
    deps.clock.time = new Date("2026-11-26T06:00:00Z");
    const first = await tick("instance-1");
    deps.clock.time = new Date("2026-11-26T07:00:00Z");
    const second = await tick("instance-2");
    expect(first.ran.map((r) => r.scope)).toEqual(["prod"]);
    expect(second.ran).toHaveLength(0);
    expect(second.skipped[0]!.reason).toBe("already run for 2026-11-26");
    deps.clock.time = new Date("2026-11-27T06:00:01Z");
    expect((await tick("instance-1")).ran).toHaveLength(1);
    expect(deps.runs).toHaveLength(2);
  });

  it("gives the day back when the run fails so the next tick retries", async () => {
    deps.runHistory.failuresLeft = 1;
    const first = await tick("a");
    expect(first.failed).toEqual([{ scope: "prod", error: "storage down" }]);
    const second = await tick("b");
    expect(second.ran).toHaveLength(1);
  });

  it("emails once for the day even when the day is run again after its record failed", async () => {
    deps.metrics.errors.set(db.resourceId, "boom"); // the run is not ok, so it emails
    deps.runHistory.failuresLeft = 1;
    expect((await tick("a")).failed).toHaveLength(1);
    expect((await tick("b")).ran).toHaveLength(1);
    expect(deps.email.sent).toHaveLength(1);
    expect(deps.email.sent[0]!.idempotencyKey).toBe("health-check|prod|2026-11-26");
  });
});

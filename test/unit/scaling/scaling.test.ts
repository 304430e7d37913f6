import { beforeEach, describe, expect, it } from "vitest";
import { loadPolicyFile } from "../../../src/shared/config/load.ts";
import type { OpsPolicy } from "../../../src/shared/config/policy.ts";
import { OpsError, isOpsError } from "../../../src/shared/errors.ts";
import { silentLogger } from "../../../src/shared/log.ts";
import { incidentRecord } from "../../../src/shared/operations/incidents/common.ts";
import { resolveIncident } from "../../../src/shared/operations/incidents/operators.ts";
import { scale, scalingAlert, scalingBack } from "../../../src/shared/operations/scaling/declaration.ts";
import type { AnyProcedure, Trigger } from "../../../src/shared/procedures/declaration.ts";
import { queueNames } from "../../../src/shared/ports/work-queue.ts";
import { MemoryChangeJournal, MemoryLeases } from "../../fakes/changes.ts";
import { FixedClock } from "../../fakes/index.ts";
import { MemoryIncidentStore, MemoryWorkQueue } from "../../fakes/incidents.ts";
import { FakeAutoscale, FakePlans } from "../../fakes/scaling.ts";
import { fakeRuntime, runAsEdge } from "../../support/runtime.ts";

const base = loadPolicyFile("config/ops-policy.json");
const prod = base.environments.prod!;
const sub = prod.subscriptionId;
const rg = prod.resourceGroup;
const planId = prod.appServicePlan!;
const webApp = "phoenix-web-prod";

let clock: FixedClock;
let plans: FakePlans;
let autoscale: FakeAutoscale;
let incidents: MemoryIncidentStore;
let changes: MemoryChangeJournal;
let leases: MemoryLeases;
let queue: MemoryWorkQueue;
let policy: OpsPolicy;

beforeEach(() => {
  clock = new FixedClock(new Date("2026-12-02T06:00:00Z"));
  plans = new FakePlans();
  plans.addPlan({ id: planId, name: "asp-phoenix-prod", skuName: "P1v2", tier: "PremiumV2", capacity: 1 });
  plans.addSite(sub, rg, webApp, planId);
  autoscale = new FakeAutoscale();
  incidents = new MemoryIncidentStore();
  changes = new MemoryChangeJournal();
  leases = new MemoryLeases(() => clock.now());
  queue = new MemoryWorkQueue();
  policy = structuredClone(base);
});

/** Runs a procedure as an edge does: the registry's schema (change options included), then the run. */
async function run(
  procedure: AnyProcedure,
  fields: Record<string, unknown>,
  trigger: Trigger = "http",
): Promise<unknown> {
  const runtime = fakeRuntime({
    policy,
    clock,
    ports: { plans, autoscale, incidents, outbox: incidents, changes, leases, queue },
  });
  return runAsEdge(procedure, runtime, fields, trigger);
}

const onDemand = (extra: Record<string, unknown> = {}) =>
  run(scale, { name: webApp, resourceGroup: rg, planSize: "P2V2", ...extra }) as Promise<{
    change: Awaited<ReturnType<MemoryChangeJournal["get"]>> & object;
    events: { step: string }[];
  }>;

async function refusal(promise: Promise<unknown>): Promise<OpsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isOpsError(error)) throw new Error(`expected an OpsError, got ${String(error)}`);
  return error;
}

describe("scale on demand (the guide's az webapp scale --plan-size)", () => {
  it("scales the web app's plan through change control: plan, record, apply, read back, notify", async () => {
    const { change, events } = await onDemand({ reason: "CPU at 95%" });
    expect(change).toMatchObject({
      status: "succeeded",
      procedure: "scale",
      environment: "prod",
      resourceId: planId,
      reason: "CPU at 95%",
      requestedBy: { kind: "operator", name: "alice@phoenixvc.tech" },
      dryRun: false,
      summary: "asp-phoenix-prod: P1V2 ×1 → P2V2 ×1",
    });
    expect(change.before).toMatchObject({ sku: "P1V2", capacity: 1 });
    expect(change.observed).toMatchObject({ sku: "P2V2", capacity: 1 });
    expect(events.map((e) => e.step)).toEqual(["requested", "started", "succeeded"]);
    expect(plans.writes).toEqual([{ changeId: change.id, planId, skuName: "P2V2", capacity: 1 }]);
    expect((await plans.get(planId))?.skuName).toBe("P2V2");
    // The environment's recipients are told, through the outbox.
    const email = [...incidents.notifications.values()];
    expect(email).toHaveLength(1);
    expect(email[0]).toMatchObject({ incidentId: change.id, to: prod.recipients });
    expect(email[0]?.subject).toContain("Change SUCCEEDED: asp-phoenix-prod: P1V2 ×1 → P2V2 ×1");
    expect(queue.peek(queueNames.notifications)).toHaveLength(1);
  });

  it("takes the plan's own name as well as a web app's", async () => {
    const { change } = await onDemand({ name: "asp-phoenix-prod", planSize: undefined, instances: 3 });
    expect(change).toMatchObject({ status: "succeeded", summary: "asp-phoenix-prod: P1V2 ×1 → P1V2 ×3" });
  });

  it("rehearses with dryRun: the plan, the guardrails, and no write at all", async () => {
    policy.changeControl.freeze.all = true;
    const { change } = await onDemand({ dryRun: true });
    expect(change.status).toBe("dry-run");
    expect(change.dryRun).toBe(true);
    expect(change.after).toMatchObject({ sku: "P2V2" });
    expect(change.blockedBy).toMatchObject({ rule: "freeze" });
    expect(plans.writes).toHaveLength(0);
    expect(incidents.notifications.size).toBe(0);
  });

  it("answers a repeated request with the first change: one write, one record", async () => {
    const first = await onDemand();
    const again = await onDemand();
    expect(again.change.id).toBe(first.change.id);
    expect(plans.writes).toHaveLength(1);
    const keyed = await onDemand({ key: "ticket-4711", planSize: "P3V2" });
    const keyedAgain = await onDemand({ key: "ticket-4711", planSize: "P3V2" });
    expect(keyedAgain.change.id).toBe(keyed.change.id);
  });

  it("refuses a key reused with another request instead of merging it", async () => {
    await onDemand({ key: "ticket-4712" });
    const error = await refusal(onDemand({ key: "ticket-4712", planSize: "P3V2" }));
    expect(error.code).toBe("Conflict");
    expect(error.details.field).toBe("key");
  });

  it.each([
    [{ planSize: "P9V9" }, "planSize", "not an App Service plan SKU; the policy allows P1V2, P2V2, P3V2"],
    [{ planSize: "P1V3" }, "planSize", "P1V3 is not allowed by the policy: it allows P1V2, P2V2, P3V2"],
    [{ planSize: "S1" }, "planSize", "(floor P1V2, cap P3V2)"],
    [{ planSize: undefined, instances: 11 }, "instances", "the policy allows 1 to 10"],
    [{ planSize: undefined }, "planSize", "give the SKU (planSize), the instance count (instances) or both"],
  ])(
    "refuses %j as a bad request naming what is allowed, and changes nothing",
    async (extra, field, text) => {
      const error = await refusal(onDemand(extra));
      expect(error.code).toBe("BadRequest");
      expect(error.details.field).toBe(field);
      expect(error.message).toContain(text);
      expect(changes.records.size).toBe(0);
      expect(plans.writes).toHaveLength(0);
    },
  );

  it("answers an unknown app or resource group as not found, naming it", async () => {
    const app = await refusal(onDemand({ name: "no-such-app" }));
    expect(app).toMatchObject({ code: "NotFound", details: { field: "name" } });
    expect(app.message).toContain(
      'no web app or App Service plan "no-such-app" in resource group rg-phoenix-prod',
    );
    const group = await refusal(onDemand({ resourceGroup: "constructor" }));
    expect(group).toMatchObject({ code: "NotFound", details: { field: "resourceGroup" } });
    expect(group.message).toContain("known: rg-phoenix-prod");
    expect(changes.records.size).toBe(0);
  });

  it("records a frozen change as blocked; an operator forces one through with a reason", async () => {
    policy.changeControl.freeze = { all: false, environments: ["prod"], reason: "quarter close" };
    const blocked = await onDemand();
    expect(blocked.change).toMatchObject({ status: "blocked", blockedBy: { rule: "freeze" } });
    expect(blocked.change.blockedBy?.detail).toContain("quarter close");
    expect(plans.writes).toHaveLength(0);
    const noReason = await refusal(onDemand({ force: true, key: "force-1" }));
    expect(noReason).toMatchObject({ code: "BadRequest", details: { field: "reason" } });
    const forced = await onDemand({ force: true, reason: "outage: customers cannot log in" });
    expect(forced.change).toMatchObject({
      status: "succeeded",
      forced: { reason: "outage: customers cannot log in" },
    });
  });

  it("holds a second change of the plan within the cooldown, and says how long is left", async () => {
    await onDemand();
    clock.advance(3 * 60_000);
    const second = await onDemand({ planSize: "P3V2" });
    expect(second.change).toMatchObject({ status: "blocked", blockedBy: { rule: "cooldown" } });
    expect(second.change.blockedBy?.detail).toContain("the cooldown is 10 min (7 min left)");
    expect(plans.writes).toHaveLength(1);
  });

  it("raises an enabled autoscale setting's minimum instead of setting the instance count", async () => {
    const settingId = `/subscriptions/${sub}/resourceGroups/${rg}/providers/microsoft.insights/autoscalesettings/asp-autoscale`;
    autoscale.add({
      settingId,
      name: "asp-autoscale",
      enabled: true,
      minimum: 1,
      maximum: 3,
      target: planId,
    });
    const { change } = await onDemand({ planSize: undefined, instances: 4 });
    expect(change.status).toBe("succeeded");
    expect(change.summary).toContain("P1V2, autoscale minimum 1 → P1V2, autoscale minimum 4");
    expect(plans.writes).toHaveLength(0);
    expect(autoscale.writes).toEqual([{ changeId: change.id, settingId, minimum: 4 }]);
    expect(await autoscale.forTarget(planId)).toMatchObject({ minimum: 4, maximum: 4 });
  });

  it("records a change Resource Manager refuses (409: an operation in flight) as failed, with the error", async () => {
    plans.failNextUpdate = new OpsError(
      "Conflict",
      "Azure answered 409 for App Service plan asp-phoenix-prod",
    );
    const { change } = await onDemand();
    expect(change).toMatchObject({ status: "failed" });
    expect(change.error).toContain("409");
    expect(incidents.notifications.size).toBe(1);
  });

  it("records a change whose read-back does not show it as failed", async () => {
    plans.ignoreWrites = true;
    const { change } = await onDemand();
    expect(change).toMatchObject({
      status: "failed",
      error: "the resource does not show the change after it was applied",
    });
  });

  it("keeps a change that failed while applying as failed: the same key answers it, nothing is applied again", async () => {
    plans.onUpdate = () => {
      plans.onUpdate = undefined;
      throw new Error("instance recycled");
    };
    const first = await onDemand({ key: "crash-1" });
    expect(first.change.status).toBe("failed");
    // A change that failed is final: the same key answers it, nothing more is applied.
    const again = await onDemand({ key: "crash-1" });
    expect(again.change.id).toBe(first.change.id);
    expect(plans.writes).toHaveLength(0);
  });
});

describe("scaling from an alert (the guide's high-cpu-usage rule)", () => {
  async function openIncident(id = "INC-20261202-0001") {
    await incidents.createIncident(
      incidentRecord({
        id,
        dedupKey: `high-cpu-usage|${planId}`,
        source: "alert",
        title: "high-cpu-usage on asp-phoenix-prod",
        description: null,
        environment: "prod",
        rule: "high-cpu-usage",
        target: planId,
        priority: "high",
        openedAt: clock.now().toISOString(),
        openedBy: "alert (Platform)",
        recipients: prod.recipients,
      }),
    );
    return id;
  }
  const fired = (incidentId: string, alertId = "alert-1") =>
    run(scalingAlert, { incidentId, alertId, rule: "high-cpu-usage", target: planId }, "queue");

  it("scales the plan up to the next SKU of the ladder and links the change to the incident", async () => {
    const id = await openIncident();
    expect(await fired(id)).toMatch(/^CHG-\S+ succeeded$/);
    expect((await plans.get(planId))?.skuName).toBe("P2V2");
    const [change] = [...changes.records.values()];
    expect(change).toMatchObject({
      status: "succeeded",
      requestedBy: { kind: "alert", name: "high-cpu-usage", alertId: "alert-1", incidentId: id },
      key: "alert|alert-1|high-cpu-usage|scale",
    });
    const scaled = (await incidents.listEvents(id)).filter((e) => e.type === "scaled");
    expect(scaled.map((e) => e.detail)).toEqual([
      `${change!.id} succeeded: asp-phoenix-prod: P1V2 ×1 → P2V2 ×1`,
    ]);
  });

  it("scales nothing when the incident resolved before its scaling ran", async () => {
    const id = await openIncident();
    await incidents.updateIncident(id, (i) => ({
      ...i,
      status: "resolved",
      resolvedAt: clock.now().toISOString(),
    }));
    expect(await fired(id)).toBe("incident already resolved");
    expect(plans.writes).toHaveLength(0);
    expect(changes.records.size).toBe(0);
  });

  it("applies a redelivered alert once", async () => {
    const id = await openIncident();
    await fired(id);
    await fired(id);
    expect(plans.writes).toHaveLength(1);
    expect(changes.records.size).toBe(1);
    expect((await incidents.listEvents(id)).filter((e) => e.type === "scaled")).toHaveLength(1);
  });

  it("lets one of many concurrent alerts on one plan change it; the rest are in flight or cooled down", async () => {
    const id = await openIncident();
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => fired(id, `alert-${i}`)));
    expect(plans.writes).toHaveLength(1);
    const records = [...changes.records.values()];
    expect(records.filter((r) => r.status === "succeeded")).toHaveLength(1);
    const rest = records.filter((r) => r.status !== "succeeded");
    expect(rest).toHaveLength(19);
    for (const r of rest) expect(["in-flight", "blocked"]).toContain(r.status);
    expect(outcomes).toHaveLength(20);
  });

  it("records an alert at the top of the ladder as blocked by the cap", async () => {
    plans.addPlan({ id: planId, name: "asp-phoenix-prod", skuName: "P3v2", tier: "PremiumV2", capacity: 1 });
    const id = await openIncident();
    expect(await fired(id)).toMatch(/ blocked$/);
    const [change] = [...changes.records.values()];
    expect(change?.blockedBy).toMatchObject({ rule: "cap" });
    expect(change?.blockedBy?.detail).toContain("P3V2 is the cap");
    expect(plans.writes).toHaveLength(0);
  });

  it("scales out by the rule's count, held at the maximum", async () => {
    policy.alertRules[0]!.scale = { up: false, out: 4, back: "auto", stabilisationMinutes: 15 };
    plans.addPlan({ id: planId, name: "asp-phoenix-prod", skuName: "P1v2", tier: "PremiumV2", capacity: 8 });
    await fired(await openIncident());
    expect((await plans.get(planId))?.capacity).toBe(10);
  });

  it("says how to scale back when the rule leaves it to an operator", async () => {
    policy.alertRules[0]!.scale = { up: true, out: 0, back: "manual", stabilisationMinutes: 15 };
    const id = await openIncident();
    await fired(id);
    const manual = (await incidents.listEvents(id)).find((e) => e.type === "scaling");
    expect(manual?.detail).toContain(
      "phoenix-ops scale --name asp-phoenix-prod --resource-group rg-phoenix-prod --plan-size P1V2 --instances 1",
    );
    await resolveIncident(
      {
        incidents,
        alerts: incidents,
        outbox: incidents,
        diagnostics: incidents,
        queue,
        policy,
        clock,
        logger: silentLogger,
        apiBaseUrl: null,
      } as never,
      id,
      "bob",
    );
    expect(queue.peek(queueNames.scaleBack)).toHaveLength(0);
  });
});

describe("scaling back after the incident resolves", () => {
  async function scaledIncident() {
    const id = "INC-20261202-0002";
    await incidents.createIncident(
      incidentRecord({
        id,
        dedupKey: `high-cpu-usage|${planId}`,
        source: "alert",
        title: "high-cpu-usage on asp-phoenix-prod",
        description: null,
        environment: "prod",
        rule: "high-cpu-usage",
        target: planId,
        priority: "high",
        openedAt: clock.now().toISOString(),
        openedBy: "alert (Platform)",
        recipients: prod.recipients,
      }),
    );
    await run(
      scalingAlert,
      { incidentId: id, alertId: "alert-9", rule: "high-cpu-usage", target: planId },
      "queue",
    );
    clock.advance(20 * 60_000);
    await resolveIncident(
      {
        incidents,
        alerts: incidents,
        outbox: incidents,
        diagnostics: incidents,
        queue,
        policy,
        clock,
        logger: silentLogger,
        apiBaseUrl: null,
      } as never,
      id,
      "bob",
    );
    return id;
  }

  it("queues the scale-back for the end of the stabilisation period, then restores the before-state", async () => {
    const id = await scaledIncident();
    const [message] = queue.drain(queueNames.scaleBack);
    expect(message).toMatchObject({ message: { incidentId: id, attempt: 0 }, delayInSeconds: 15 * 60 });
    clock.advance(15 * 60_000);
    const outcome = String(await run(scalingBack, message!.message, "queue"));
    expect(outcome).toMatch(/succeeded$/);
    expect((await plans.get(planId))?.skuName).toBe("P1V2");
    const back = [...changes.records.values()].find((c) => c.action === "scale back");
    expect(back).toMatchObject({ status: "succeeded", requestedBy: { kind: "system", incidentId: id } });
    expect(back?.summary).toBe("asp-phoenix-prod: P2V2 ×1 → P1V2 ×1");
    // A redelivered scale-back changes nothing more.
    await run(scalingBack, message!.message, "queue");
    expect(plans.writes).toHaveLength(2);
  });

  it("leaves a plan someone resized since alone, and records why", async () => {
    const id = await scaledIncident();
    plans.addPlan({ id: planId, name: "asp-phoenix-prod", skuName: "P3v2", tier: "PremiumV2", capacity: 2 });
    const [message] = queue.drain(queueNames.scaleBack);
    await run(scalingBack, message!.message, "queue");
    const back = [...changes.records.values()].find((c) => c.action === "scale back");
    expect(back).toMatchObject({ status: "blocked", blockedBy: { rule: "changed-since" } });
    expect((await plans.get(planId))?.skuName).toBe("P3v2");
    expect((await incidents.listEvents(id)).map((e) => e.detail).join("\n")).toContain("changed-since");
  });

  it("tries again later when a guardrail holds the scale-back off", async () => {
    await scaledIncident();
    policy.changeControl.freeze.all = true;
    const [message] = queue.drain(queueNames.scaleBack);
    await run(scalingBack, message!.message, "queue");
    const [retry] = queue.drain(queueNames.scaleBack);
    expect(retry).toMatchObject({ message: { attempt: 1 }, delayInSeconds: 600 });
    policy.changeControl.freeze.all = false;
    clock.advance(10 * 60_000);
    await run(scalingBack, retry!.message, "queue");
    expect((await plans.get(planId))?.skuName).toBe("P1V2");
  });
});

import { randomUUID } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import type { ChangeRecord } from "../../../src/shared/change-control/model.ts";
import { loadPolicyFile } from "../../../src/shared/config/load.ts";
import type { OpsPolicy } from "../../../src/shared/config/policy.ts";
import { runContextFor } from "../../../src/shared/edge/run-context.ts";
import { OpsError, isOpsError } from "../../../src/shared/errors.ts";
import { silentLogger } from "../../../src/shared/log.ts";
import {
  emergencyRollbackProcedure,
  maintenanceEnd,
  maintenanceStart,
  maintenanceStatus,
  maintenanceSwap,
  maintenanceWindowEnd,
  releasesList,
  releasesRecord,
  webappSlotSwap,
} from "../../../src/shared/operations/maintenance/declaration.ts";
import type { RollbackOutcome } from "../../../src/shared/operations/maintenance/releases.ts";
import type { SwapOutcome } from "../../../src/shared/operations/maintenance/swap.ts";
import type { WindowEnd } from "../../../src/shared/operations/maintenance/windows.ts";
import type { HealthProbe, ProbeResult } from "../../../src/shared/ports/health-probe.ts";
import type { MaintenanceWindowRecord } from "../../../src/shared/ports/maintenance-windows.ts";
import type {
  MetricsQuery,
  MetricsReader,
  ResourceMetrics,
} from "../../../src/shared/ports/metrics-reader.ts";
import { queueNames } from "../../../src/shared/ports/work-queue.ts";
import type { AnyProcedure, Trigger } from "../../../src/shared/procedures/declaration.ts";
import { inputSchemaOf, splitInput } from "../../../src/shared/procedures/input-schema.ts";
import { MemoryChangeJournal, MemoryLeases } from "../../fakes/changes.ts";
import { FakeInventory, FixedClock, MemoryRunHistory, FakeEmail } from "../../fakes/index.ts";
import { MemoryIncidentStore, MemoryWorkQueue } from "../../fakes/incidents.ts";
import { FakeWebApps, MemoryMaintenanceWindows, MemoryReleaseLedger } from "../../fakes/maintenance.ts";
import { fakeRuntime } from "../../support/runtime.ts";

const base = loadPolicyFile("config/ops-policy.json");
const prod = base.environments.prod!;
const sub = prod.subscriptionId;
const rg = prod.resourceGroup;
const app = "phoenix-web-prod";
const siteId = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Web/sites/${app}`;
const pkg = (v: string) => `https://stphoenix.blob.core.windows.net/releases/phoenix-web-${v}.zip`;

/** Health and version endpoints answering from what each slot of the fake runs. */
class SlotProbe implements HealthProbe {
  /** Versions that answer 503 in production. */
  bad = new Set<string>();
  down = new Set<string>();
  missingPackages = new Set<string>();
  constructor(private readonly webApps: FakeWebApps) {}
  async probe(url: string): Promise<ProbeResult> {
    if (url.includes(".blob."))
      return {
        url,
        statusCode: [...this.missingPackages].some((p) => url === p) ? 404 : 200,
        durationInMs: 5,
      };
    const staging = url.includes(`${app}-staging`);
    const slot = await this.webApps.getSlot(sub, rg, app, staging ? "staging" : "production");
    const version = slot?.appSettings["APP_VERSION"] ?? "?";
    if (this.down.has(version)) return { url, durationInMs: 5, error: "ECONNREFUSED" };
    if (url.endsWith("/version"))
      return { url, statusCode: 200, durationInMs: 5, body: JSON.stringify({ version }) };
    return { url, statusCode: !staging && this.bad.has(version) ? 503 : 200, durationInMs: 20 };
  }
}

/** Site metrics: 20% 5xx while production runs a bad version; none at all when `missing`. */
class SlotMetrics implements MetricsReader {
  missing = false;
  constructor(
    private readonly webApps: FakeWebApps,
    private readonly probe: SlotProbe,
  ) {}
  async query(query: MetricsQuery): Promise<Map<string, ResourceMetrics>> {
    const slot = await this.webApps.getSlot(sub, rg, app, "production");
    const bad = this.probe.bad.has(slot?.appSettings["APP_VERSION"] ?? "");
    const at = new Date("2026-12-02T06:00:00Z");
    const metrics = new Map(
      this.missing
        ? []
        : [
            ["Requests", [{ timeStamp: at, total: 1000 }]],
            ["Http5xx", [{ timeStamp: at, total: bad ? 200 : 1 }]],
            ["HttpResponseTime", [{ timeStamp: at, average: 0.2 }]],
          ],
    );
    return new Map(query.resourceIds.map((id) => [id, { resourceId: id, metrics }]));
  }
}

let clock: FixedClock;
let webApps: FakeWebApps;
let probe: SlotProbe;
let metrics: SlotMetrics;
let windows: MemoryMaintenanceWindows;
let releases: MemoryReleaseLedger;
let incidents: MemoryIncidentStore;
let changes: MemoryChangeJournal;
let queue: MemoryWorkQueue;
let policy: OpsPolicy;
let ports: Record<string, unknown>;

beforeEach(() => {
  clock = new FixedClock(new Date("2026-12-02T06:00:00Z"));
  webApps = new FakeWebApps();
  webApps.addSite(sub, rg, app, {
    production: { APP_VERSION: "2.3.1", WEBSITE_RUN_FROM_PACKAGE: pkg("2.3.1"), PHOENIX_STAGE: "production" },
    staging: { APP_VERSION: "2.4.0", WEBSITE_RUN_FROM_PACKAGE: pkg("2.4.0"), PHOENIX_STAGE: "staging" },
  });
  webApps.site({ subscriptionId: sub, resourceGroup: rg, siteName: app })!.sticky.push("PHOENIX_STAGE");
  probe = new SlotProbe(webApps);
  metrics = new SlotMetrics(webApps, probe);
  windows = new MemoryMaintenanceWindows();
  releases = new MemoryReleaseLedger();
  incidents = new MemoryIncidentStore();
  changes = new MemoryChangeJournal();
  queue = new MemoryWorkQueue();
  policy = structuredClone(base);
  policy.maintenance = {
    ...policy.maintenance,
    verificationSeconds: 0,
    verificationProbes: 2,
    conflictWaitSeconds: 1,
    warmupSeconds: 0,
    lastKnownGoodMinutes: 30,
  };
  ports = {
    slots: webApps,
    maintenance: windows,
    releases,
    probe,
    metrics,
    changes,
    leases: new MemoryLeases(() => clock.now()),
    incidents,
    alerts: incidents,
    outbox: incidents,
    diagnostics: incidents,
    queue,
    alertIntake: { record: () => Promise.reject(new Error("unused")) },
    email: new FakeEmail(),
    inventory: new FakeInventory(),
    runHistory: new MemoryRunHistory(),
  };
});

async function run<T>(
  procedure: AnyProcedure,
  fields: Record<string, unknown>,
  trigger: Trigger = "http",
): Promise<T> {
  const runtime = fakeRuntime({ policy, clock, ports: ports });
  const parsed = inputSchemaOf(procedure).parse(fields);
  const { input, change } = splitInput(procedure, parsed);
  return (await procedure.run(
    runtime.portsFor(procedure.ports),
    input,
    runContextFor(
      procedure,
      runtime,
      { logger: silentLogger, trigger, actor: "alice@phoenixvc.tech", invocationId: randomUUID() },
      change,
    ),
  )) as T;
}

const swap = (extra: Record<string, unknown> = {}) =>
  run<SwapOutcome>(maintenanceSwap, {
    name: app,
    resourceGroup: rg,
    slot: "staging",
    targetSlot: "production",
    ...extra,
  });

async function refusal(promise: Promise<unknown>): Promise<OpsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isOpsError(error)) throw new Error(`expected an OpsError, got ${String(error)}`);
  return error;
}

const production = async () =>
  (await webApps.getSlot(sub, rg, app, "production"))?.appSettings["APP_VERSION"];
const allChanges = async (): Promise<ChangeRecord[]> => changes.list({ limit: 100 });

describe("maintenance swap (az webapp deployment slot swap, verified)", () => {
  it("sets the warm-up slot settings, checks staging, swaps once, verifies production, records the release", async () => {
    const outcome = await swap({ reason: "release 2.4.0" });
    expect(outcome.decision).toBe("kept");
    expect(outcome.change).toMatchObject({
      status: "succeeded",
      procedure: "maintenance swap",
      resourceId: siteId,
      reason: "release 2.4.0",
    });
    expect(outcome.change.summary).toContain(
      "swap staging (2.4.0) → production, production (2.3.1) → staging",
    );
    expect(outcome.change.summary).toContain("warm-up slot settings set on staging");
    expect(await production()).toBe("2.4.0");
    expect(webApps.swaps).toHaveLength(1);
    const site = webApps.site({ subscriptionId: sub, resourceGroup: rg, siteName: app })!;
    expect(site.sticky).toEqual(
      expect.arrayContaining(["WEBSITE_SWAP_WARMUP_PING_PATH", "WEBSITE_SWAP_WARMUP_PING_STATUSES"]),
    );
    // Slot settings stay with their slot; the warm-up settings stayed in staging.
    expect((await webApps.getSlot(sub, rg, app, "staging"))?.appSettings).toMatchObject({
      WEBSITE_SWAP_WARMUP_PING_PATH: "/health",
      PHOENIX_STAGE: "staging",
      APP_VERSION: "2.3.1",
    });
    expect(outcome.precheck).toMatchObject({ status: "passed" });
    expect(outcome.verification).toMatchObject({ status: "passed" });
    expect(outcome.release).toMatchObject({
      version: "2.4.0",
      package: pkg("2.4.0"),
      verification: "passed",
      via: "swap",
    });
    const steps = (await changes.listEvents(outcome.change.id)).map((e) => e.step);
    expect(steps).toEqual(["requested", "started", "succeeded", "verification passed"]);
  });

  it("is also az's own command, webapp deployment slot swap", async () => {
    const outcome = await run<SwapOutcome>(webappSlotSwap, {
      name: app,
      resourceGroup: rg,
      slot: "staging",
      targetSlot: "production",
    });
    expect(outcome.decision).toBe("kept");
    expect(await production()).toBe("2.4.0");
  });

  it("rehearses with dryRun: the plan, and no write at all", async () => {
    const outcome = await swap({ dryRun: true });
    expect(outcome.decision).toBe("dry-run");
    expect(outcome.change).toMatchObject({ status: "dry-run", dryRun: true });
    expect(webApps.swaps).toHaveLength(0);
    expect(webApps.settingWrites).toHaveLength(0);
    expect(releases.entries.size).toBe(0);
  });

  it("swaps back by itself when production is worse after the swap: two linked changes, an incident, an email", async () => {
    probe.bad.add("2.4.0");
    const outcome = await swap();
    expect(outcome.decision).toBe("swapped-back");
    expect(outcome.verification?.status).toBe("failed");
    expect(outcome.verification?.summary).toContain("health URL failed");
    expect(await production()).toBe("2.3.1");
    expect(webApps.swaps).toHaveLength(2);
    expect(outcome.swapBack).toMatchObject({
      status: "succeeded",
      action: "swap back",
      requestedBy: { kind: "system", name: "swap-back" },
    });
    expect(outcome.swapBack?.reason).toContain(`swap-back of ${outcome.change.id}`);
    const swapSteps = await changes.listEvents(outcome.change.id);
    expect(swapSteps.map((s) => s.step)).toEqual([
      "requested",
      "started",
      "succeeded",
      "verification failed",
      "decision",
      "swapped back",
    ]);
    expect(swapSteps.at(-1)?.detail).toContain(outcome.swapBack!.id);
    const incident = incidents.incidents.get(outcome.incident!)?.incident;
    expect(incident).toMatchObject({ priority: "high", target: siteId, environment: "prod" });
    expect(incident?.title).toContain("was swapped back");
    expect([...incidents.notifications.values()].some((n) => n.incidentId === outcome.incident)).toBe(true);
    expect(releases.entries.get(`rel-${outcome.change.id}`)?.verification).toBe("failed");
    expect(releases.entries.get(`rel-${outcome.swapBack!.id}`)).toMatchObject({
      version: "2.3.1",
      via: "swap-back",
    });
  });

  it("keys the swap-back by its own natural key when the caller gave the swap a key", async () => {
    probe.bad.add("2.4.0");
    const outcome = await swap({ key: "release-2.4.0" });
    expect(outcome.decision).toBe("swapped-back");
    expect(outcome.change.key).toBe("key:release-2.4.0");
    expect(outcome.swapBack?.key).toBe(`swap-back|${outcome.change.id}`);
  });

  it("treats missing metrics as unknown, not ok: the policy's choice decides and is recorded", async () => {
    metrics.missing = true;
    const back = await swap();
    expect(back.verification?.status).toBe("unknown");
    expect(back.decision).toBe("swapped-back");
    expect(back.reason).toContain("onUnknown: swap-back");
    policy.maintenance.onUnknown = "keep";
    policy.changeControl.cooldownMinutes = 0;
    const kept = await swap({ key: "second" });
    expect(kept.decision).toBe("kept");
    expect(kept.reason).toContain("policy onUnknown: keep");
    expect((await changes.listEvents(kept.change.id)).map((e) => e.step)).toContain("decision");
  });

  it("records a failed swap (the operation fails) and opens an incident; nothing goes in the ledger", async () => {
    webApps.swapFailures.push(new OpsError("AzureRequestFailed", "the swap operation ended Failed"));
    const outcome = await swap();
    expect(outcome.change).toMatchObject({ status: "failed" });
    expect(outcome.change.error).toContain("ended Failed");
    expect(outcome.incident).not.toBeNull();
    expect(await production()).toBe("2.3.1");
    expect(releases.entries.size).toBe(0);
  });

  it("records a swap whose long-running operation times out as failed", async () => {
    webApps.swapFailures.push(new OpsError("Timeout", "the swap did not finish within 900 s"));
    const outcome = await swap();
    expect(outcome.change.status).toBe("failed");
    expect(outcome.change.error).toContain("did not finish");
  });

  it("waits out another operation's 409, then swaps", async () => {
    webApps.swapFailures.push(
      new OpsError("Conflict", "another operation is in progress (409)", { retryable: true }),
    );
    const outcome = await swap();
    expect(outcome.change.status).toBe("succeeded");
    expect(webApps.swaps).toHaveLength(1);
  });

  it("reports a 409 that outlasts the wait", async () => {
    policy.maintenance.conflictWaitSeconds = 0;
    webApps.swapFailures.push(
      new OpsError("Conflict", "another operation is in progress (409)", { retryable: true }),
    );
    const outcome = await swap();
    expect(outcome.change.status).toBe("failed");
    expect(outcome.change.error).toContain("waited 0 s");
  });

  it("when the swap-back fails too: a critical incident, and the rollback is proposed", async () => {
    probe.bad.add("2.4.0");
    webApps.onSwap = () => {
      webApps.onSwap = undefined;
      webApps.swapFailures.push(new OpsError("AzureUnavailable", "Azure answered 503"));
    };
    const outcome = await swap();
    expect(outcome.decision).toBe("swap-back-failed");
    const incident = incidents.incidents.get(outcome.incident!)?.incident;
    expect(incident?.priority).toBe("critical");
    const history = incidents.events.get(outcome.incident!) ?? [];
    expect(history.map((e) => e.detail).join("\n")).toContain(
      "phoenix-ops emergency-rollback --name phoenix-web-prod",
    );
  });

  it("with the policy's automatic rollback, queues the rollback when no swap-back restores production", async () => {
    policy.maintenance.rollback = "automatic";
    probe.bad.add("2.4.0");
    webApps.onSwap = () => {
      // The old version is gone from staging before the swap-back could bring it back.
      void webApps.getSlot(sub, rg, app, "staging");
      webApps
        .site({ subscriptionId: sub, resourceGroup: rg, siteName: app })!
        .slots.get("staging")!.appSettings["APP_VERSION"] = "2.5.0-rc";
      webApps.onSwap = undefined;
    };
    const outcome = await swap();
    expect(outcome.decision).toBe("swap-back-impossible");
    const [message] = queue.drain(queueNames.rollbacks);
    expect(message?.message).toMatchObject({ name: app, resourceGroup: rg, incident: outcome.incident });
  });

  it("swaps once when the same request is delivered again (a redelivered message)", async () => {
    const first = await swap({ key: "release-2.4.0" });
    const again = await run<SwapOutcome>(
      maintenanceSwap,
      { name: app, resourceGroup: rg, key: "release-2.4.0" },
      "queue",
    );
    expect(again.change.id).toBe(first.change.id);
    expect(again.repeated).toBe(true);
    expect(webApps.swaps).toHaveLength(1);
    expect(await production()).toBe("2.4.0");
  });

  it("skips the warm-up settings and the staging check with skipValidation, and the audit says so", async () => {
    probe.down.add("2.4.0");
    const outcome = await swap({ skipValidation: true });
    expect(outcome.precheck).toBe("skipped");
    expect(outcome.change.reason).toContain("(validation skipped)");
    expect(webApps.settingWrites).toHaveLength(0);
  });

  it("refuses to swap in a staging slot that is not healthy, and changes nothing", async () => {
    probe.down.add("2.4.0");
    const error = await refusal(swap());
    expect(error).toMatchObject({ code: "Conflict", details: { field: "slot" } });
    expect(error.message).toContain("staging is not ready to swap in");
    expect(webApps.swaps).toHaveLength(0);
    expect(await allChanges()).toHaveLength(0);
  });

  it("resets a slot left prepared by a swap with preview first", async () => {
    webApps
      .site({ subscriptionId: sub, resourceGroup: rg, siteName: app })!
      .slots.get("production")!.targetSwapSlot = "staging";
    const outcome = await swap();
    expect(outcome.change.summary).toContain("the swap preview left for staging is reset first");
    expect((await webApps.getSlot(sub, rg, app, "production"))?.targetSwapSlot).toBeNull();
  });

  it.each([
    [{ name: "no-such-app" }, "NotFound", "name", 'no web app "no-such-app"'],
    [{ slot: "blue" }, "NotFound", "slot", 'has no slot "blue"; it has: production, staging'],
    [
      { slot: "staging", targetSlot: "staging" },
      "BadRequest",
      "targetSlot",
      "cannot swap slot staging with itself",
    ],
    [{ resourceGroup: "__proto__" }, "NotFound", "resourceGroup", "is not in the ops policy"],
  ])("refuses %j clearly and changes nothing", async (extra, code, field, text) => {
    const error = await refusal(swap(extra));
    expect(error).toMatchObject({ code, details: { field } });
    expect(error.message).toContain(text);
    expect(webApps.swaps).toHaveLength(0);
    expect(await allChanges()).toHaveLength(0);
  });
});

describe("maintenance windows (maintenance.sh start / end)", () => {
  const start = (extra: Record<string, unknown> = {}) =>
    run<MaintenanceWindowRecord>(maintenanceStart, {
      environment: "prod",
      notification: true,
      windowDuration: 120,
      ...extra,
    });

  it("opens a window in Table storage, schedules its end, tells the team and audits it", async () => {
    const window = await start({ reason: "release 2.4.0" });
    expect(window).toMatchObject({
      status: "open",
      environment: "prod",
      plannedEnd: "2026-12-02T08:00:00.000Z",
      openedBy: "alice@phoenixvc.tech",
    });
    expect(await windows.listOpen()).toHaveLength(1);
    const [end] = queue.peek(queueNames.maintenance);
    expect(end).toMatchObject({ message: { windowId: window.id }, delayInSeconds: 7200 });
    const email = [...incidents.notifications.values()].find((n) => n.id === `${window.id}|start`);
    expect(email?.subject).toContain("Maintenance window started in prod (until 2026-12-02T08:00:00.000Z)");
    expect(email?.text).toContain("Opened by: alice@phoenixvc.tech");
    const audit = await allChanges();
    expect(audit.map((c) => c.action)).toEqual(["maintenance window start"]);
    const status = await run<{ open: unknown[] }>(maintenanceStatus, {});
    expect(status.open).toHaveLength(1);
  });

  it("rehearses with dryRun: nothing opened, nothing queued", async () => {
    const window = await start({ dryRun: true });
    expect(window.endNote).toBe("dry run: no window was opened");
    expect(await windows.listOpen()).toHaveLength(0);
    expect(queue.peek(queueNames.maintenance)).toHaveLength(0);
  });

  it("refuses a duration out of range, a second window, an unknown environment", async () => {
    expect(await refusal(start({ windowDuration: 0 }))).toMatchObject({
      code: "BadRequest",
      details: { field: "windowDuration" },
    });
    expect((await refusal(start({ windowDuration: 481 }))).message).toContain("1 to 480 minutes");
    expect(await refusal(start({ environment: "constructor" }))).toMatchObject({
      code: "NotFound",
      details: { field: "environment" },
    });
    await start();
    expect(await refusal(start())).toMatchObject({ code: "Conflict" });
    expect(await windows.listOpen()).toHaveLength(1);
  });

  it("ends by itself at its planned end (the delayed message), once, and says so", async () => {
    const window = await start();
    const [message] = queue.drain(queueNames.maintenance);
    clock.advance(60 * 60_000);
    // Early (a clock skew): put back for the rest of the time.
    expect(await run<string>(maintenanceWindowEnd, message!.message, "queue")).toContain("not yet");
    clock.advance(60 * 60_000);
    expect(await run<string>(maintenanceWindowEnd, message!.message, "queue")).toBe("ended");
    expect(await run<string>(maintenanceWindowEnd, message!.message, "queue")).toBe("already ended");
    expect((await windows.get(window.id))?.endNote).toBe("ended by itself at its planned end");
    const email = [...incidents.notifications.values()].find((n) => n.id === `${window.id}|end`);
    expect(email?.subject).toContain("Maintenance window ended by itself at its planned end in prod");
  });

  it("ends with verification: every component checked first, then closed", async () => {
    await start();
    const end = await run<WindowEnd>(maintenanceEnd, { environment: "prod", verification: true });
    expect(end.verification?.components.map((c) => c.name)).toEqual(["webapp", "api", "database"]);
    // The fakes' database has no metrics: unknown is not ok, the window stays open.
    expect(end.ended).toBe(false);
    expect(end.incident).not.toBeNull();
    expect(await windows.listOpen()).toHaveLength(1);
    const ended = await run<WindowEnd>(maintenanceEnd, { environment: "prod" });
    expect(ended.ended).toBe(true);
    expect(await refusal(run(maintenanceEnd, { environment: "prod" }))).toMatchObject({ code: "BadRequest" });
  });
});

describe("release ledger and emergency rollback", () => {
  const record = (version: string, extra: Record<string, unknown> = {}) =>
    run(releasesRecord, { name: app, resourceGroup: rg, version, package: pkg(version), ...extra });
  const rollback = (extra: Record<string, unknown> = {}) =>
    run<RollbackOutcome>(emergencyRollbackProcedure, { name: app, resourceGroup: rg, ...extra });

  async function badRelease(): Promise<void> {
    // 2.3.1 went live and passed; 2.4.0 went live past the app (say, a pipeline's own swap) and is bad.
    await record("2.3.1", { slot: "production", verification: "passed" });
    clock.advance(45 * 60_000);
    probe.bad.add("2.4.0");
    const site = webApps.site({ subscriptionId: sub, resourceGroup: rg, siteName: app })!;
    const [p, s] = [site.slots.get("production")!, site.slots.get("staging")!];
    [p.appSettings, s.appSettings] = [s.appSettings, p.appSettings];
    await record("2.4.0", { slot: "production" });
    clock.advance(5 * 60_000);
  }

  it("rolls back to the last known good version: staged from its package, swapped in, verified, recorded", async () => {
    await badRelease();
    const view = await run<{ lastKnownGood: { version: string } | null }>(releasesList, {
      name: app,
      resourceGroup: rg,
    });
    expect(view.lastKnownGood?.version).toBe("2.3.1");
    const outcome = await rollback({ skipValidation: true });
    expect(outcome).toMatchObject({ version: "2.3.1", lastKnownGood: true, decision: "kept", direct: false });
    expect(outcome.change.summary).toContain(`staging is pointed at ${pkg("2.3.1")} first`);
    expect(await production()).toBe("2.3.1");
    expect(outcome.release).toMatchObject({ version: "2.3.1", via: "rollback", verification: "passed" });
  });

  it("prints the plan with dryRun and changes nothing", async () => {
    await badRelease();
    const outcome = await rollback({ dryRun: true });
    expect(outcome.change.status).toBe("dry-run");
    expect(await production()).toBe("2.4.0");
    expect(webApps.settingWrites).toHaveLength(0);
  });

  it("needs --force and a reason for a version that never passed verification", async () => {
    await badRelease();
    await record("2.2.0", { slot: "staging" });
    const error = await refusal(rollback({ version: "2.2.0" }));
    expect(error).toMatchObject({ code: "Conflict", details: { field: "force" } });
    const forced = await rollback({
      version: "2.2.0",
      force: true,
      reason: "2.3.1 has the same bug",
      skipValidation: true,
    });
    expect(forced.change).toMatchObject({
      status: "succeeded",
      forced: { reason: "2.3.1 has the same bug" },
    });
  });

  it("refuses an unknown version, a version whose package is gone, and a site with no good version yet", async () => {
    expect(await refusal(rollback())).toMatchObject({ code: "NotFound", details: { field: "version" } });
    await badRelease();
    expect((await refusal(rollback({ version: "9.9.9" }))).message).toContain(
      "not in the release ledger; known: 2.4.0, 2.3.1",
    );
    probe.missingPackages.add(pkg("2.3.1"));
    const gone = await refusal(rollback());
    expect(gone).toMatchObject({ code: "BadRequest", details: { field: "version" } });
    expect(gone.message).toContain("no longer exists");
    expect(await production()).toBe("2.4.0");
  });

  it("repoints production directly when the app has no staging slot (the plan says it restarts)", async () => {
    await badRelease();
    webApps.site({ subscriptionId: sub, resourceGroup: rg, siteName: app })!.slots.delete("staging");
    const outcome = await rollback();
    expect(outcome.direct).toBe(true);
    expect(outcome.change.summary).toContain("there is no staging slot, so the app restarts");
    expect(await production()).toBe("2.3.1");
  });

  it("refuses a package URL with a query (a SAS token is a secret) and a version that is not one", async () => {
    expect(await refusal(record("2.5.0", { package: `${pkg("2.5.0")}?sv=2024&sig=secret` }))).toMatchObject({
      details: { field: "package" },
    });
    expect(() =>
      inputSchemaOf(releasesRecord).parse({
        name: app,
        resourceGroup: rg,
        version: "../x",
        package: pkg("1"),
      }),
    ).toThrow();
  });
});

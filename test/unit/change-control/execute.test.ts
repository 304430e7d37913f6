import { beforeEach, describe, expect, it } from "vitest";
import { ChangeToken } from "../../../src/shared/change-control/change-token.ts";
import { type ChangeSpec, executeChange } from "../../../src/shared/change-control/execute.ts";
import type { ChangeRecord } from "../../../src/shared/change-control/model.ts";
import { loadPolicyFile, parsePolicy } from "../../../src/shared/config/load.ts";
import type { OpsPolicy } from "../../../src/shared/config/policy.ts";
import { isOpsError } from "../../../src/shared/errors.ts";
import { silentLogger } from "../../../src/shared/log.ts";
import { MemoryChangeJournal, MemoryLeases } from "../../fakes/changes.ts";
import { FixedClock } from "../../fakes/index.ts";

const base = loadPolicyFile("config/ops-policy.json");
const plan = base.environments.prod!.appServicePlan!;

/** A resource whose SKU the change sets; `apply` can be told to fail or to do nothing. */
class FakePlan {
  sku = "P1V2";
  applied: { changeId: string; sku: string }[] = [];
  failApply: Error | undefined;
  ignoreApply = false;
  failRead = false;
  setSku(token: ChangeToken, sku: string): void {
    token.assertFor(plan);
    if (this.failApply) throw this.failApply;
    this.applied.push({ changeId: token.changeId, sku });
    if (!this.ignoreApply) this.sku = sku;
  }
}

let clock: FixedClock;
let journal: MemoryChangeJournal;
let leases: MemoryLeases;
let resource: FakePlan;
let notified: ChangeRecord[];
let policy: OpsPolicy;

beforeEach(() => {
  clock = new FixedClock(new Date("2026-11-26T06:00:00Z"));
  journal = new MemoryChangeJournal();
  leases = new MemoryLeases(() => clock.now());
  resource = new FakePlan();
  notified = [];
  policy = base;
});

function deps() {
  return {
    policy,
    journal,
    leases,
    clock,
    logger: silentLogger,
    notify: async (r: ChangeRecord) => void notified.push(r),
  };
}

function scaleTo(
  sku: string,
  overrides: Partial<ChangeSpec<{ sku: string }>> = {},
): ChangeSpec<{ sku: string }> {
  return {
    key: `scale|${plan}|${sku}`,
    procedure: "scale",
    environment: "prod",
    resourceId: plan,
    action: `scale up to ${sku}`,
    reason: "high CPU",
    requestedBy: { kind: "operator", name: "ops@phoenixvc.tech" },
    request: { sku },
    dryRun: false,
    read: async () => {
      if (resource.failRead) throw new Error("Resource Manager unavailable");
      return { sku: resource.sku };
    },
    plan: (before) =>
      before.sku === sku
        ? { noChange: `already ${sku}` }
        : { after: { sku }, summary: `asp-phoenix-prod: ${before.sku} → ${sku}` },
    apply: async (token, _before, after) => resource.setSku(token, after.sku),
    verify: (after, observed) => after.sku === observed.sku,
    ...overrides,
  };
}

describe("change control", () => {
  it("reads, plans, records started, applies with its token, reads back and records succeeded", async () => {
    const record = await executeChange(deps(), scaleTo("P2V2"));
    expect(record).toMatchObject({
      status: "succeeded",
      before: { sku: "P1V2" },
      after: { sku: "P2V2" },
      observed: { sku: "P2V2" },
      summary: "asp-phoenix-prod: P1V2 → P2V2",
      requestedBy: { kind: "operator", name: "ops@phoenixvc.tech" },
    });
    expect(resource.applied).toEqual([{ changeId: record.id, sku: "P2V2" }]);
    expect((await journal.listEvents(record.id)).map((e) => e.step)).toEqual([
      "requested",
      "started",
      "succeeded",
    ]);
    expect(notified.map((r) => r.status)).toEqual(["succeeded"]);
    expect(leases.held.size).toBe(0);
  });

  it("rehearses a dry run: the plan is recorded and nothing changes", async () => {
    const record = await executeChange(deps(), scaleTo("P2V2", { dryRun: true }));
    expect(record).toMatchObject({ status: "dry-run", dryRun: true, after: { sku: "P2V2" } });
    expect(resource.applied).toEqual([]);
    expect(resource.sku).toBe("P1V2");
  });

  it("answers a repeated request with the first change's record and applies once", async () => {
    const first = await executeChange(deps(), scaleTo("P2V2"));
    const again = await executeChange(deps(), scaleTo("P2V2"));
    expect(again.id).toBe(first.id);
    expect(resource.applied).toHaveLength(1);
  });

  it("refuses a key used again for another request instead of merging them", async () => {
    await executeChange(deps(), scaleTo("P2V2"));
    const error: unknown = await executeChange(deps(), scaleTo("P3V2", { key: `scale|${plan}|P2V2` })).catch(
      (e: unknown) => e,
    );
    expect(isOpsError(error) && error.code).toBe("Conflict");
    expect(resource.applied).toHaveLength(1);
  });

  it("records a no-op as no-change, without notifying", async () => {
    const record = await executeChange(deps(), scaleTo("P1V2"));
    expect(record.status).toBe("no-change");
    expect(notified).toEqual([]);
  });

  it("blocks every change of a frozen environment unless an operator forces it with a reason", async () => {
    policy = parsePolicy(
      { ...base, changeControl: { freeze: { environments: ["prod"], reason: "quarter close" } } },
      "freeze",
    );
    const blocked = await executeChange(deps(), scaleTo("P2V2"));
    expect(blocked).toMatchObject({ status: "blocked", blockedBy: { rule: "freeze" } });
    expect(blocked.blockedBy?.detail).toContain("quarter close");
    expect(notified.map((r) => r.status)).toEqual(["blocked"]);
    const forced = await executeChange(
      deps(),
      scaleTo("P2V2", { key: "forced", force: { reason: "outage" } }),
    );
    expect(forced).toMatchObject({ status: "succeeded", forced: { reason: "outage" } });
  });

  it("keeps a cooldown between changes of one resource, and at most N changes an hour", async () => {
    policy = parsePolicy({ ...base, changeControl: { cooldownMinutes: 10, maxChangesPerHour: 2 } }, "limits");
    await executeChange(deps(), scaleTo("P2V2"));
    clock.time = new Date("2026-11-26T06:05:00Z");
    const cooling = await executeChange(deps(), scaleTo("P3V2"));
    expect(cooling).toMatchObject({ status: "blocked", blockedBy: { rule: "cooldown" } });
    clock.time = new Date("2026-11-26T06:16:00Z");
    expect((await executeChange(deps(), scaleTo("P3V2", { key: "second" }))).status).toBe("succeeded");
    clock.time = new Date("2026-11-26T06:30:00Z");
    const limited = await executeChange(deps(), scaleTo("P1V2", { key: "third" }));
    expect(limited).toMatchObject({ status: "blocked", blockedBy: { rule: "rate-limit" } });
    expect(resource.sku).toBe("P3V2");
  });

  it("records a change of a resource another change holds as in flight", async () => {
    await leases.acquire(plan, "CHG-other", 60_000);
    const record = await executeChange(deps(), scaleTo("P2V2"));
    expect(record).toMatchObject({ status: "in-flight", blockedBy: { rule: "lease" } });
    expect(resource.applied).toEqual([]);
  });

  it("lets exactly one of many concurrent changes of one resource through", async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => executeChange(deps(), scaleTo("P2V2", { key: `alert-${i}` }))),
    );
    expect(results.filter((r) => r.status === "succeeded")).toHaveLength(1);
    expect(results.every((r) => ["succeeded", "in-flight", "blocked", "no-change"].includes(r.status))).toBe(
      true,
    );
    expect(resource.applied).toHaveLength(1);
  });

  it("records a plan the procedure refuses as blocked, with its rule", async () => {
    const record = await executeChange(
      deps(),
      scaleTo("P9V9", { plan: () => ({ blocked: { rule: "max-sku", detail: "at most P3V2" } }) }),
    );
    expect(record).toMatchObject({
      status: "blocked",
      blockedBy: { rule: "max-sku", detail: "at most P3V2" },
    });
  });

  it("records a change Resource Manager refuses, or that does not show on read-back, as failed", async () => {
    resource.failApply = new Error("409 Conflict: another operation is in progress");
    const refused = await executeChange(deps(), scaleTo("P2V2"));
    expect(refused).toMatchObject({
      status: "failed",
      error: "409 Conflict: another operation is in progress",
    });
    resource.failApply = undefined;
    resource.ignoreApply = true;
    clock.time = new Date("2026-11-26T07:00:00Z");
    const unseen = await executeChange(deps(), scaleTo("P2V2", { key: "again" }));
    expect(unseen).toMatchObject({ status: "failed", observed: { sku: "P1V2" } });
    expect(leases.held.size).toBe(0);
  });

  it("records a resource that cannot be read as failed, changing nothing", async () => {
    resource.failRead = true;
    const record = await executeChange(deps(), scaleTo("P2V2"));
    expect(record.status).toBe("failed");
    expect(resource.applied).toEqual([]);
  });

  it("finishes a change left started by a crash: verified when it was applied, applied again when not", async () => {
    // The instance crashes after applying, before recording the outcome.
    const crashing = scaleTo("P2V2", {
      apply: async (token, _b, after) => {
        resource.setSku(token, after.sku);
        journal.failNextUpdate = new Error("instance stopped");
      },
    });
    await expect(executeChange(deps(), crashing)).rejects.toThrow("instance stopped");
    const [started] = await journal.list({});
    expect(started?.status).toBe("started");
    const resumed = await executeChange(deps(), scaleTo("P2V2"));
    expect(resumed).toMatchObject({ id: started!.id, status: "succeeded", observed: { sku: "P2V2" } });
    expect(resource.applied).toHaveLength(1);

    // A crash after "started" is recorded and before the apply: the redelivery applies it.
    clock.time = new Date("2026-11-26T08:00:00Z");
    let crashes = 1;
    const stopsFirst = scaleTo("P3V2", {
      key: "crash-before-apply",
      apply: async (token, _b, after) => {
        if (crashes-- > 0) {
          journal.failNextUpdate = new Error("instance stopped");
          throw new Error("instance stopped");
        }
        resource.setSku(token, after.sku);
      },
    });
    await expect(executeChange(deps(), stopsFirst)).rejects.toThrow("instance stopped");
    expect(resource.sku).toBe("P2V2");
    const pending = (await journal.list({})).find((r) => r.key === "crash-before-apply");
    expect(pending?.status).toBe("started");
    const finished = await executeChange(deps(), stopsFirst);
    expect(finished).toMatchObject({ id: pending!.id, status: "succeeded", observed: { sku: "P3V2" } });
    expect((await journal.listEvents(pending!.id)).map((e) => e.step)).toContain("resumed");
  });

  it("answers a repeat that arrives while the first is applying with the first's record, applying once", async () => {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const slow = scaleTo("P2V2", {
      apply: async (token, _b, after) => {
        await gate;
        resource.setSku(token, after.sku);
      },
    });
    const first = executeChange(deps(), slow);
    await new Promise((r) => setTimeout(r, 20));
    const repeat = await executeChange(deps(), slow);
    expect(repeat.status).toBe("started");
    open();
    expect((await first).status).toBe("succeeded");
    expect(resource.applied).toHaveLength(1);
    expect(leases.held.size).toBe(0);
  });

  it("does not apply a resumed change again when the resource changed after it started", async () => {
    let crashes = 1;
    const stopsFirst = scaleTo("P3V2", {
      apply: async (token, _b, after) => {
        if (crashes-- > 0) {
          journal.failNextUpdate = new Error("instance stopped");
          throw new Error("instance stopped");
        }
        resource.setSku(token, after.sku);
      },
    });
    await expect(executeChange(deps(), stopsFirst)).rejects.toThrow("instance stopped");
    resource.sku = "P1V3"; // someone resized it by hand meanwhile
    const resumed = await executeChange(deps(), stopsFirst);
    expect(resumed).toMatchObject({ status: "failed", observed: { sku: "P1V3" } });
    expect(resumed.error).toContain("changed after this change started");
    expect(resource.applied).toEqual([]);
    expect(resource.sku).toBe("P1V3");
  });

  it("issues write tokens to change control only", () => {
    expect(
      () =>
        new (ChangeToken as unknown as new (k: symbol, a: string, b: string) => ChangeToken)(
          Symbol("forged"),
          "x",
          plan,
        ),
    ).toThrow(/issued by change control only/);
    const token = ChangeToken.issue("CHG-1", plan);
    expect(() => token.assertFor(`${plan}-other`)).toThrow(/may change/);
  });

  it("keeps a change whose notification fails", async () => {
    const record = await executeChange(
      { ...deps(), notify: () => Promise.reject(new Error("email down")) },
      scaleTo("P2V2"),
    );
    expect(record.status).toBe("succeeded");
  });
});

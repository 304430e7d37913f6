import { beforeEach, describe, expect, it } from "vitest";
import { loadPolicyFile } from "../../../src/shared/config/load.ts";
import type { OpsPolicy } from "../../../src/shared/config/policy.ts";
import type { ChangeEvent } from "../../../src/shared/change-control/model.ts";
import { type OpsError, isOpsError } from "../../../src/shared/errors.ts";
import {
  backupJobList,
  backupProtectionBackupNow,
  backupVerificationsList,
  backupVerify,
} from "../../../src/shared/operations/backups/declaration.ts";
import type { BackupNowResult } from "../../../src/shared/operations/backups/protection.ts";
import type { BackupReport, ItemResult } from "../../../src/shared/operations/backups/report.ts";
import { renderBackupEmail, renderBackupTable } from "../../../src/shared/operations/backups/render.ts";
import type { AnyProcedure, Trigger } from "../../../src/shared/procedures/declaration.ts";
import type { BackupJobState } from "../../../src/shared/ports/backup-vaults.ts";
import { FakeBackupVaults, healthyVault } from "../../fakes/backups.ts";
import { MemoryChangeJournal, MemoryLeases } from "../../fakes/changes.ts";
import { FakeEmail, FixedClock, MemoryRunHistory } from "../../fakes/index.ts";
import { MemoryIncidentStore, MemoryWorkQueue } from "../../fakes/incidents.ts";
import { fakeRuntime, runAsEdge } from "../../support/runtime.ts";

const base = loadPolicyFile("config/ops-policy.json");
const prod = base.environments.prod!;
const rg = prod.resourceGroup;
const vaultId = `/subscriptions/${prod.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.RecoveryServices/vaults/rsv-phoenix-prod`;
const otherVault = `/subscriptions/${prod.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.RecoveryServices/vaults/rsv-phoenix-dr`;
const now = new Date("2026-12-02T08:00:00Z"); // a Wednesday
const dayMs = 86_400_000;

let clock: FixedClock;
let backups: FakeBackupVaults;
let email: FakeEmail;
let runHistory: MemoryRunHistory;
let changes: MemoryChangeJournal;
let incidents: MemoryIncidentStore;
let policy: OpsPolicy;
let vault: ReturnType<typeof healthyVault>;

beforeEach(() => {
  clock = new FixedClock(now);
  backups = new FakeBackupVaults(() => clock.now());
  // The fake's own entry: what a test changes in it is what the vault answers.
  vault = backups.addVault(vaultId, healthyVault(vaultId, now));
  email = new FakeEmail();
  runHistory = new MemoryRunHistory();
  changes = new MemoryChangeJournal();
  incidents = new MemoryIncidentStore();
  policy = structuredClone(base);
  policy.environments.prod!.backups = {
    vaults: [vaultId],
    // The VM itself is backed up daily and kept 30 days: Full only, by its own schedule.
    items: { "sqlvm-phoenix-prod": { full: { every: "P1D", retention: "P30D" } } },
  };
});

async function run(procedure: AnyProcedure, fields: Record<string, unknown>, trigger: Trigger = "http") {
  const runtime = fakeRuntime({
    policy,
    clock,
    ports: {
      backups,
      email,
      runHistory,
      changes,
      leases: new MemoryLeases(() => clock.now()),
      outbox: incidents,
      queue: new MemoryWorkQueue(),
    },
  });
  return runAsEdge(procedure, runtime, fields, trigger);
}

const verify = (fields: Record<string, unknown> = {}) =>
  run(backupVerify, { environment: "prod", ...fields }) as Promise<BackupReport>;

function item(report: BackupReport, name: string): ItemResult {
  const found = report.vaults.flatMap((v) => v.items).find((i) => i.item === name);
  if (!found) throw new Error(`no item ${name}`);
  return found;
}

function checkOf(result: ItemResult, label: string) {
  const found = result.checks.find((c) => c.label === label);
  if (!found) throw new Error(`no check ${label} in ${result.checks.map((c) => c.label).join(", ")}`);
  return found;
}

function sqlJobs(type?: string): BackupJobState[] {
  return vault.jobs.filter((j) => j.entityFriendlyName === "phoenixdb" && (!type || j.backupType === type));
}

async function refusal(promise: Promise<unknown>): Promise<OpsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isOpsError(error)) throw new Error(`expected an OpsError, got ${String(error)}`);
  return error;
}

describe("backup verify (the guide's schedule)", () => {
  it("a healthy vault is ok: both items, every check with its value, expectation and reason", async () => {
    const report = await verify();
    expect(report.status).toBe("ok");
    const db = item(report, "phoenixdb");
    expect(db.kind).toBe("SQL Server in Azure VM");
    expect(db.checks.map((c) => c.label)).toEqual([
      "Full schedule",
      "Full retention",
      "Newest Full",
      "Differential schedule",
      "Differential retention",
      "Newest Differential",
      "Log schedule",
      "Log retention",
      "Failed jobs",
      "Restore point age",
      "Oldest restore point",
    ]);
    expect(db.checks.every((c) => c.status === "ok")).toBe(true);
    expect(db.restorePointAgeMinutes).toBe(20);
    expect(checkOf(db, "Full retention")).toMatchObject({
      value: "12 weeks (84 days)",
      expected: "≥ 12 weeks (84 days)",
    });
    expect(item(report, "sqlvm-phoenix-prod")).toMatchObject({ kind: "Azure VM", status: "ok" });
    expect(report.notification).toBeNull();
    expect(email.sent).toHaveLength(0);
    // Per vault, never per item: its items, its policies, and its jobs in two-day slices read at once.
    expect(backups.calls).toMatchObject({ items: 1, policies: 1, jobs: 8 });
    expect(runHistory.runs).toHaveLength(1);
  });

  it("missed-full: no successful Full for 9 days is critical, naming the item and the age", async () => {
    vault.jobs = vault.jobs.filter(
      (j) =>
        !(
          j.backupType === "Full" &&
          j.entityFriendlyName === "phoenixdb" &&
          Date.parse(j.startTime) > now.getTime() - 9 * dayMs
        ),
    );
    const report = await verify();
    expect(report.status).toBe("critical");
    const full = checkOf(item(report, "phoenixdb"), "Newest Full");
    expect(full.status).toBe("critical");
    expect(full.reason).toMatch(/newest successful Full is (9|10|11) days/);
  });

  it("failed-differential: the day's Differential failed and nothing since: critical, the error reported", async () => {
    const last = sqlJobs("Differential").sort((a, b) => b.startTime.localeCompare(a.startTime))[0]!;
    last.status = "Failed";
    last.errors = [{ code: "UserErrorSQLLogBackupFailed", message: "Log backup chain broken" }];
    // Yesterday's too: the newest good one is two days old.
    const prev = sqlJobs("Differential").sort((a, b) => b.startTime.localeCompare(a.startTime))[1]!;
    prev.status = "Cancelled";
    const report = await verify();
    const db = item(report, "phoenixdb");
    expect(checkOf(db, "Newest Differential").status).toBe("critical");
    expect(checkOf(db, "Failed jobs")).toMatchObject({ status: "warning", value: "2" });
    expect(checkOf(db, "Failed jobs").reason).toContain("Log backup chain broken");
    expect(report.status).toBe("critical");
  });

  it("a failed job then a successful retry on the same day is ok, with a note", async () => {
    const last = sqlJobs("Differential").sort((a, b) => b.startTime.localeCompare(a.startTime))[0]!;
    vault.jobs.push({
      ...last,
      name: "job-failed",
      id: `${vaultId}/backupJobs/job-failed`,
      status: "Failed",
      startTime: new Date(Date.parse(last.startTime) - 3_600_000).toISOString(),
      errors: [{ code: "UserErrorTimeout", message: "timed out" }],
    });
    const report = await verify();
    const db = item(report, "phoenixdb");
    expect(db.status).toBe("ok");
    expect(checkOf(db, "Failed jobs")).toMatchObject({
      status: "ok",
      reason: "each was retried successfully",
    });
    expect(db.notes.join("\n")).toMatch(/Differential backup Failed .*timed out.*retried successfully/);
  });

  it("log-gap: a 3-hour-old restore point is critical, with how much would be lost", async () => {
    vault.items[0]!.lastBackupTime = new Date(now.getTime() - 3 * 3_600_000).toISOString();
    const report = await verify();
    const db = item(report, "phoenixdb");
    expect(db.restorePointAgeMinutes).toBe(180);
    expect(checkOf(db, "Restore point age")).toMatchObject({
      status: "critical",
      value: "3 h",
      expected: "≤ 1 h",
    });
    expect(checkOf(db, "Restore point age").reason).toContain("3 h of data would be lost");
    expect(report.status).toBe("critical");
    expect(renderBackupTable(report)).toMatch(/rsv-phoenix-prod \/ phoenixdb .*180 min/);
  });

  it("retention-short: a policy keeping Full 4 weeks is a warning naming the policy", async () => {
    vault.policies[0]!.subPolicies[0]!.retentionDays = 28;
    vault.items[0]!.oldestRecoveryPoint = new Date(now.getTime() - 27 * dayMs).toISOString();
    const report = await verify();
    const db = item(report, "phoenixdb");
    expect(checkOf(db, "Full retention")).toMatchObject({ status: "warning", value: "4 weeks (28 days)" });
    expect(checkOf(db, "Full retention").reason).toContain("SqlGuidePolicy keeps Full 4 weeks");
    expect(checkOf(db, "Oldest restore point").status).toBe("warning");
    expect(report.status).toBe("warning");
  });

  it("a policy without a Differential, or logs every 4 hours, is reported", async () => {
    vault.policies[0]!.subPolicies = vault.policies[0]!.subPolicies.filter((s) => s.type !== "Differential");
    vault.policies[0]!.subPolicies[1]!.intervalMinutes = 240;
    const db = item(await verify(), "phoenixdb");
    expect(checkOf(db, "Differential schedule")).toMatchObject({ status: "critical" });
    expect(checkOf(db, "Log schedule")).toMatchObject({ status: "warning", value: "every 240 min" });
  });

  it("missing data is unknown, never ok", async () => {
    vault.items[0]!.lastBackupTime = null;
    vault.items[0]!.oldestRecoveryPoint = null;
    const db = item(await verify(), "phoenixdb");
    expect(checkOf(db, "Restore point age").status).toBe("unknown");
    expect(checkOf(db, "Oldest restore point").status).toBe("unknown");
    expect(db.status).toBe("unknown");
  });

  it("a vault that cannot be read is unknown and the other vaults are still checked", async () => {
    backups.addVault(otherVault, healthyVault(otherVault, now, { database: "drdb", vm: "sqlvm-dr" }));
    policy.environments.prod!.backups!.vaults = [vaultId, otherVault];
    policy.environments.prod!.backups!.items!["sqlvm-dr"] = { full: { every: "P1D", retention: "P30D" } };
    backups.failing.set(
      vaultId.toLowerCase(),
      new Error("Azure answered 503 for Recovery Services vault rsv-phoenix-prod"),
    );
    const report = await verify();
    expect(report.vaults[0]).toMatchObject({ name: "rsv-phoenix-prod", status: "unknown", items: [] });
    expect(report.vaults[0]?.error).toContain("503");
    expect(report.vaults[1]).toMatchObject({ name: "rsv-phoenix-dr", status: "ok" });
    expect(report.status).toBe("unknown");
  });

  it("per-item overrides: an item's schedule may switch a backup type off", async () => {
    vault.items[0]!.lastBackupTime = new Date(now.getTime() - 3 * 3_600_000).toISOString();
    policy.environments.prod!.backups!.items!["phoenixdb"] = { log: null };
    const db = item(await verify(), "phoenixdb");
    expect(db.checks.some((c) => c.label.startsWith("Log"))).toBe(false);
  });

  it("a run that is not ok emails the recipients once a day, escaped, and is kept in history", async () => {
    vault.items[0]!.friendlyName = "<b>phoenixdb</b>";
    for (const j of sqlJobs()) j.entityFriendlyName = "<b>phoenixdb</b>";
    vault.items[0]!.lastBackupTime = new Date(now.getTime() - 3 * 3_600_000).toISOString();
    const first = await verify();
    expect(first.notification).toEqual({ sent: true, recipients: prod.recipients });
    await verify();
    expect(email.sent).toHaveLength(1);
    expect(email.sent[0]?.subject).toContain("[CRITICAL] prod backup verification");
    expect(email.sent[0]?.html).toContain("&lt;b&gt;phoenixdb&lt;/b&gt;");
    expect(email.sent[0]?.html).not.toContain("<b>phoenixdb</b>");
    expect(email.sent[0]?.text).toContain("3 h of data would be lost");
    const listed = (await run(backupVerificationsList, { environment: "prod" })) as {
      runs: { status: string }[];
    };
    expect(listed.runs.map((r) => r.status)).toEqual(["critical", "critical"]);
    expect(renderBackupEmail(first).subject).not.toMatch(/[\r\n]/);
  });

  it("an unknown environment or vault is a clear 404; an environment without vaults a 400", async () => {
    expect((await refusal(verify({ environment: "__proto__" }))).code).toBe("NotFound");
    expect((await refusal(verify({ vaultName: "rsv-nope" }))).message).toContain("known: rsv-phoenix-prod");
    delete policy.environments.prod!.backups;
    expect((await refusal(verify())).code).toBe("BadRequest");
  });

  it("the timer runs each environment with vaults, at or after the policy's hour", () => {
    const timer = backupVerify.timer!;
    expect(timer.scopes(policy)).toEqual([{ scope: "prod", input: { environment: "prod" } }]);
    expect(timer.due?.(policy, new Date("2026-12-02T06:15:00Z"))).toBe("before 7:00 UTC");
    expect(timer.due?.(policy, new Date("2026-12-02T07:15:00Z"))).toBe(true);
  });
});

describe("backup job list (az backup job list)", () => {
  it("lists the vault's jobs of the period, with --status and --since", async () => {
    vault.jobs[vault.jobs.length - 1]!.status = "Failed";
    const all = (await run(backupJobList, {
      vaultName: "rsv-phoenix-prod",
      resourceGroup: rg,
      since: "7d",
    })) as { vault: string; since: string; jobs: BackupJobState[] };
    expect(all.jobs.length).toBe(14);
    expect(all.jobs[0]!.startTime >= all.jobs[1]!.startTime).toBe(true);
    const failed = (await run(backupJobList, {
      vaultName: "rsv-phoenix-prod",
      resourceGroup: rg,
      since: "P30D",
      status: "Failed",
    })) as { vault: string; since: string; jobs: BackupJobState[] };
    expect(failed.jobs).toHaveLength(1);
    expect(backupJobList.table!(all)).toMatch(/^Name\s+Operation\s+Status\s+Item Name/);
  });

  it("an unknown vault or resource group, or a bad --since, is a clear answer", async () => {
    const unknownVault = await refusal(run(backupJobList, { vaultName: "rsv-nope", resourceGroup: rg }));
    expect(unknownVault).toMatchObject({ code: "NotFound", details: { field: "vaultName" } });
    expect(unknownVault.message).toContain('no Recovery Services vault "rsv-nope"');
    expect(
      (await refusal(run(backupJobList, { vaultName: "rsv-phoenix-prod", resourceGroup: "rg-x" }))).code,
    ).toBe("NotFound");
    expect(
      (
        await refusal(
          run(backupJobList, { vaultName: "rsv-phoenix-prod", resourceGroup: rg, since: "yesterday" }),
        )
      ).code,
    ).toBe("BadRequest");
  });
});

describe("backup protection backup-now (through change control)", () => {
  const guide = {
    itemName: "phoenixdb",
    vaultName: "rsv-phoenix-prod",
    resourceGroup: rg,
    containerName: "sqlvm-phoenix-prod",
  };
  const backupNow = (extra: Record<string, unknown> = {}) =>
    run(backupProtectionBackupNow, { ...guide, ...extra }) as Promise<
      BackupNowResult & { events: ChangeEvent[] }
    >;

  it("triggers, follows the operation to its job and the job to its end, and reports it", async () => {
    backups.jobPolls = 3;
    const result = await backupNow({ reason: "before the release" });
    expect(result.change).toMatchObject({
      status: "succeeded",
      procedure: "backup protection backup-now",
      environment: "prod",
      resourceId: vault.items[0]!.id,
      reason: "before the release",
      summary: "phoenixdb: Full backup now",
    });
    expect(result.job).toMatchObject({
      operation: "Backup (Full)",
      status: "Completed",
      entityFriendlyName: "phoenixdb",
    });
    expect(result.events.map((e) => e.step)).toEqual(["requested", "started", "succeeded"]);
    expect(backups.triggers).toEqual([
      {
        changeId: result.change.id,
        itemId: vault.items[0]!.id,
        request: { backupType: "Full" },
        jobId: result.job!.name,
      },
    ]);
    expect(backupProtectionBackupNow.table!(result)).toMatch(/Job: +job-0001 +Backup \(Full\) +Completed/);
  });

  it("a dry run checks and records, and triggers nothing", async () => {
    const result = await backupNow({ dryRun: true, backupType: "Differential" });
    expect(result.change.status).toBe("dry-run");
    expect(backups.triggers).toHaveLength(0);
  });

  it("a redelivered request starts one backup; a backup already running starts none", async () => {
    const first = await backupNow({ key: "ticket-1" });
    const again = await backupNow({ key: "ticket-1" });
    expect(again.change.id).toBe(first.change.id);
    expect(backups.triggers).toHaveLength(1);
    // Another request while a backup of the item runs (past the cooldown): no second backup.
    clock.advance(20 * 60_000);
    vault.jobs.push({
      ...sqlJobs()[0]!,
      name: "job-running",
      status: "InProgress",
      startTime: new Date(now.getTime() - 60_000).toISOString(),
      endTime: null,
    });
    const other = await backupNow({ key: "ticket-2", backupType: "Log" });
    expect(other.change.status).toBe("no-change");
    expect(other.change.summary).toContain("already running (job job-running");
    expect(backups.triggers).toHaveLength(1);
  });

  it("an operation that ends Failed, or a job that fails, is a failed change with Azure's error", async () => {
    backups.failNextOperation = "UserErrorBackupOperationInProgress";
    const op = await backupNow({ key: "a" });
    expect(op.change.status).toBe("failed");
    expect(op.change.error).toContain("UserErrorBackupOperationInProgress");
    clock.advance(20 * 60_000);
    backups.failNextJob = "the VM's SQL service account lacks sysadmin";
    const job = await backupNow({ key: "b" });
    expect(job.change.status).toBe("failed");
    expect(job.change.error).toContain("lacks sysadmin");
    expect(backupProtectionBackupNow.status!(job)).toBe("critical");
  });

  it("refuses an unknown vault, container or item, a type the policy lacks, a bad --retain-until; nothing is triggered", async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ vaultName: "rsv-nope" }, "vaultName", /no Recovery Services vault "rsv-nope"/],
      [{ containerName: "nope" }, "containerName", /no protection container "nope".*known: VMAppContainer/],
      [{ itemName: "nope" }, "itemName", /no protected item "nope".*known: phoenixdb/],
      [
        { itemName: "sqlvm-phoenix-prod", containerName: "sqlvm-phoenix-prod", backupType: "Log" },
        "backupType",
        /has no Log backup; it has: Full/,
      ],
      [{ retainUntil: "2026-11-30" }, "retainUntil", /in the past/],
      [
        { retainUntil: "2027-12-31" },
        "retainUntil",
        /beyond what policy SqlGuidePolicy keeps a Full backup \(84 days/,
      ],
      [{ retainUntil: "someday!" }, "retainUntil", /not a date/],
    ];
    for (const [extra, field, message] of cases) {
      const error = await refusal(backupNow(extra));
      expect(error.details.field, JSON.stringify(extra)).toBe(field);
      expect(error.message).toMatch(message);
    }
    expect(backups.triggers).toHaveLength(0);
    expect(changes.records.size).toBe(0);
    const ok = await backupNow({ retainUntil: "2026-12-20", backupType: "Differential" });
    expect(ok.change.status).toBe("succeeded");
    expect(backups.triggers[0]?.request).toEqual({
      backupType: "Differential",
      retainUntil: new Date("2026-12-20"),
    });
  });

  it("an IaaS VM item is backed up by its container and VM names", async () => {
    const result = await backupNow({ itemName: "sqlvm-phoenix-prod", containerName: "sqlvm-phoenix-prod" });
    expect(result.job).toMatchObject({ operation: "Backup", status: "Completed" });
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { LocalStack } from "../../local/stack.ts";
import { ChangeToken } from "../../src/shared/change-control/change-token.ts";
import { type Runtime, createRuntime } from "../../src/shared/composition/runtime.ts";
import { isOpsError } from "../../src/shared/errors.ts";
import type {
  BackupJobState,
  BackupVaults,
  ProtectedItemState,
} from "../../src/shared/ports/backup-vaults.ts";
import { FakeBackupVaults, healthyVault } from "../fakes/backups.ts";
import { startTestStack } from "../support/stack.ts";

/**
 * The BackupVaults port against its fake and its Recovery Services adapter on the local estate: the
 * fake the backup tests trust answers as the adapter does (items, policies, jobs and their filters and
 * paging, the trigger followed to its job).
 */
let stack: LocalStack;
let runtime: Runtime;
const sub = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
const rg = "rg-phoenix-prod";
const vaultId = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.RecoveryServices/vaults/rsv-phoenix-prod`;
const missingVault = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.RecoveryServices/vaults/rsv-nope`;
const dayMs = 86_400_000;

beforeAll(async () => {
  stack = await startTestStack({ withHost: false });
  process.env.IDENTITY_ENDPOINT = stack.settings.IDENTITY_ENDPOINT;
  process.env.IDENTITY_HEADER = stack.settings.IDENTITY_HEADER;
  runtime = createRuntime({ env: stack.settings });
}, 60_000);
afterAll(async () => {
  await stack?.close();
});

function seededFake(): BackupVaults {
  const fake = new FakeBackupVaults();
  fake.addVault(vaultId, healthyVault(vaultId, new Date(), { database: "phoenixledger", days: 30 }));
  return fake;
}

const ports: [string, () => BackupVaults][] = [
  ["in-memory fake", seededFake],
  ["Recovery Services adapter on the local estate", () => runtime.ports.backups],
];

async function all<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

describe.each(ports)("BackupVaults contract: %s", (_name, make) => {
  let backups: BackupVaults;
  let items: ProtectedItemState[];
  beforeEach(async () => {
    backups = make();
    items = await all(backups.listProtectedItems(vaultId));
  });

  it("lists the vault's protected items: the SQL database in the VM and the VM, with their restore points", () => {
    const sql = items.find((i) => i.friendlyName === "phoenixledger");
    expect(sql).toMatchObject({
      name: "SQLDataBase;mssqlserver;phoenixledger",
      backupManagementType: "AzureWorkload",
      workloadType: "SQLDataBase",
      protectionState: "Protected",
      vaultId,
    });
    expect(sql?.containerName).toMatch(/^VMAppContainer;compute;rg-phoenix-prod;sqlvm-phoenix-prod$/);
    // Log backups keep the newest restore point within the hour; the oldest is about 12 weeks back.
    expect(Date.now() - Date.parse(sql?.lastBackupTime ?? "")).toBeLessThan(3_600_000);
    expect(Date.now() - Date.parse(sql?.oldestRecoveryPoint ?? "")).toBeGreaterThan(77 * dayMs);
    const vm = items.find((i) => i.backupManagementType === "AzureIaasVM");
    expect(vm).toMatchObject({ friendlyName: "sqlvm-phoenix-prod", workloadType: "VM" });
    expect(vm?.containerName).toContain("iaasvmcontainerv2;rg-phoenix-prod;sqlvm-phoenix-prod");
  });

  it("lists the policies items name: the guide's SQL policy (Full/Differential/Log) and the VM's daily one", async () => {
    const policies = await all(backups.listPolicies(vaultId));
    const sql = items.find((i) => i.friendlyName === "phoenixledger");
    const policy = policies.find((p) => p.id.toLowerCase() === sql?.policyId?.toLowerCase());
    expect(policy?.backupManagementType).toBe("AzureWorkload");
    expect(policy?.subPolicies).toEqual([
      expect.objectContaining({ type: "Full", frequency: "Weekly", days: ["Sunday"], retentionDays: 84 }),
      expect.objectContaining({ type: "Differential", frequency: "Weekly", retentionDays: 30 }),
      expect.objectContaining({ type: "Log", intervalMinutes: 60, retentionDays: 7 }),
    ]);
    const vm = policies.find((p) => p.backupManagementType === "AzureIaasVM");
    expect(vm?.subPolicies).toEqual([
      expect.objectContaining({ type: "Full", frequency: "Daily", retentionDays: 30 }),
    ]);
  });

  it("lists jobs of a time range, newest first, typed Full or Differential, every page of them", async () => {
    const month = await all(backups.listJobs(vaultId, { since: new Date(Date.now() - 29 * dayMs) }));
    // Two items, a job a day each: more than a page.
    expect(month.length).toBeGreaterThanOrEqual(56);
    const starts = month.map((j) => j.startTime);
    expect([...starts].sort().reverse()).toEqual(starts);
    const sql = month.filter((j) => j.entityFriendlyName === "phoenixledger");
    expect(new Set(sql.map((j) => j.backupType))).toEqual(new Set(["Full", "Differential"]));
    expect(sql.filter((j) => j.backupType === "Full").length).toBeGreaterThanOrEqual(4);
    expect(sql.find((j) => j.backupType === "Full")?.operation).toMatch(/^Backup/);
    const vmJob = month.find((j) => j.entityFriendlyName === "sqlvm-phoenix-prod");
    expect(vmJob).toMatchObject({
      operation: "Backup",
      backupType: "Full",
      backupManagementType: "AzureIaasVM",
    });
    const recent = await all(backups.listJobs(vaultId, { since: new Date(Date.now() - 3 * dayMs) }));
    expect(recent.length).toBeLessThan(10);
    expect(recent.every((j) => Date.parse(j.startTime) >= Date.now() - 3 * dayMs)).toBe(true);
    const failed = await all(
      backups.listJobs(vaultId, { since: new Date(Date.now() - 29 * dayMs), status: "Failed" }),
    );
    expect(failed).toEqual([]);
  });

  it("reads one job, and answers undefined for a job that does not exist", async () => {
    const [job] = await all(backups.listJobs(vaultId, { since: new Date(Date.now() - 2 * dayMs) }));
    expect(job).toBeDefined();
    expect(await backups.getJob(vaultId, job!.name)).toMatchObject({ name: job!.name, status: "Completed" });
    expect(await backups.getJob(vaultId, "00000000-0000-0000-0000-000000000000")).toBeUndefined();
  });

  it("refuses an unknown vault with NotFound", async () => {
    const error = await all(backups.listProtectedItems(missingVault)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isOpsError(error) && error.code).toBe("NotFound");
  });

  it("triggers a backup with a token for the item, follows it to its job, which ends Completed", async () => {
    const sql = items.find((i) => i.friendlyName === "phoenixledger")!;
    await expect(
      backups.triggerBackup(ChangeToken.issue("CHG-contract-x", items.find((i) => i !== sql)!.id), sql, {
        backupType: "Full",
      }),
    ).rejects.toThrow(/may change/);
    const started = await backups.triggerBackup(ChangeToken.issue("CHG-contract-1", sql.id), sql, {
      backupType: "Differential",
    });
    expect(started.jobId).toBeTruthy();
    let job: BackupJobState | undefined;
    for (let i = 0; i < 20; i++) {
      job = await backups.getJob(vaultId, started.jobId);
      if (job?.status !== "InProgress") break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(job).toMatchObject({
      entityFriendlyName: "phoenixledger",
      backupType: "Differential",
      status: "Completed",
    });
    expect(job?.operation).toMatch(/Differential/);
  }, 30_000);
});

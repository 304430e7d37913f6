import { randomUUID } from "node:crypto";
import { idKey } from "./ids.ts";

/**
 * The Recovery Services side of the estate: per vault, its backup policies, protection containers and
 * protected items (SQL Server databases in an Azure VM, and the VM itself), and the backup jobs their
 * schedules made over the last weeks. Jobs are placed relative to when the estate started (Full every
 * seven days, the newest two days and two hours before; a Differential every other day), so every
 * scenario reads the same whatever the time of day. Scheduled log backups make no jobs, as in Azure:
 * they move the item's last backup time, which is computed at read time (20 minutes ago when healthy).
 */

export interface BackupScenario {
  /** Full backups of the target database younger than this many days failed. */
  missedFullDays?: number;
  /** The newest this many Differential backups of the target database failed. */
  failedDifferentials?: number;
  /** The target database's newest restore point (its last log backup) is this many hours old. */
  logGapHours?: number;
  /** The target database's policy keeps Full backups this many weeks. */
  fullRetentionWeeks?: number;
}

export interface BackupItemRecord {
  vaultId: string;
  containerName: string;
  name: string;
  friendlyName: string;
  kind: "sql" | "vm";
  policyName: string;
  vmId: string;
  /** Scenarios act on the demo's database only. */
  scenarioTarget: boolean;
}

export interface BackupJobRecord {
  name: string;
  vaultId: string;
  item: BackupItemRecord;
  operation: string;
  backupType: "Full" | "Differential" | "Log";
  /** The status it had when generated; scenarios and running jobs override it at read time. */
  status: string;
  startTime: Date;
  endTime: Date | null;
  errors: { code: string; message: string }[];
  /** Set for a job an on-demand backup started: it completes `runMs` after it started. */
  runMs?: number;
  outcome?: "Completed" | "Failed";
}

export interface BackupOperationRecord {
  id: string;
  item: BackupItemRecord;
  job: BackupJobRecord;
  startedAt: Date;
  /** How long the operation status stays InProgress before it names its job. */
  pendingMs: number;
  /** Set when the operation ends Failed (and starts no job). */
  failure?: { code: string; message: string };
}

export interface VaultRecord {
  id: string;
  items: BackupItemRecord[];
  /** Policy name → whether it is the SQL (workload) or VM kind; bodies are made at read time. */
  policies: Map<string, "sql" | "vm">;
  jobs: BackupJobRecord[];
}

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;

export const sqlPolicyName = "SqlGuidePolicy";
export const vmPolicyName = "DailyVmPolicy";

export class BackupModel {
  readonly vaults = new Map<string, VaultRecord>();
  readonly operations = new Map<string, BackupOperationRecord>();
  /** When jobs were generated from: the estate's start. */
  readonly epoch: Date;

  constructor(
    epoch = new Date(),
    /** How long an on-demand backup job runs, and its operation stays InProgress. */
    readonly timings = { jobMs: 3000, operationMs: 500 },
  ) {
    this.epoch = epoch;
  }

  vault(vaultId: string): VaultRecord | undefined {
    return this.vaults.get(idKey(vaultId));
  }

  /**
   * A vault with a VM running SQL Server: for each database a workload item on the guide's policy, and
   * the VM itself on a daily policy, with `days` days of jobs.
   */
  addVault(spec: {
    vaultId: string;
    resourceGroup: string;
    vms: { name: string; vmId: string; databases: string[]; scenarioTarget?: boolean }[];
    days?: number;
  }): VaultRecord {
    const vault: VaultRecord = {
      id: spec.vaultId,
      items: [],
      policies: new Map([
        [sqlPolicyName, "sql"],
        [vmPolicyName, "vm"],
      ]),
      jobs: [],
    };
    for (const vm of spec.vms) {
      for (const database of vm.databases) {
        vault.items.push({
          vaultId: spec.vaultId,
          containerName: `VMAppContainer;compute;${spec.resourceGroup};${vm.name}`,
          name: `SQLDataBase;mssqlserver;${database}`,
          friendlyName: database,
          kind: "sql",
          policyName: sqlPolicyName,
          vmId: vm.vmId,
          scenarioTarget: vm.scenarioTarget === true,
        });
      }
      vault.items.push({
        vaultId: spec.vaultId,
        containerName: `IaasVMContainer;iaasvmcontainerv2;${spec.resourceGroup};${vm.name}`,
        name: `VM;iaasvmcontainerv2;${spec.resourceGroup};${vm.name}`,
        friendlyName: vm.name,
        kind: "vm",
        policyName: vmPolicyName,
        vmId: vm.vmId,
        scenarioTarget: false,
      });
    }
    const days = spec.days ?? 30;
    for (const item of vault.items) {
      for (let d = days - 1; d >= 0; d--) {
        // The newest backups ran two hours before the estate started; Fulls on days 2, 9, 16, …
        const start = new Date(this.epoch.getTime() - d * dayMs - 2 * hourMs);
        const full = item.kind === "vm" || d % 7 === 2;
        vault.jobs.push({
          name: randomUUID(),
          vaultId: spec.vaultId,
          item,
          operation: item.kind === "vm" ? "Backup" : full ? "Backup (Full)" : "Backup (Differential)",
          backupType: full ? "Full" : "Differential",
          status: "Completed",
          startTime: start,
          endTime: new Date(start.getTime() + (full ? 25 : 6) * 60_000),
          errors: [],
        });
      }
    }
    vault.jobs.sort((a, b) => b.startTime.getTime() - a.startTime.getTime());
    this.vaults.set(idKey(spec.vaultId), vault);
    return vault;
  }

  /** A job as it reads now: a scenario's failures, and an on-demand job's progress. */
  jobStatus(
    job: BackupJobRecord,
    scenario: BackupScenario,
    now: Date,
  ): Pick<BackupJobRecord, "status" | "endTime" | "errors"> {
    if (job.runMs !== undefined) {
      const done = now.getTime() >= job.startTime.getTime() + job.runMs;
      return done
        ? {
            status: job.outcome ?? "Completed",
            endTime: new Date(job.startTime.getTime() + job.runMs),
            errors: job.outcome === "Failed" ? job.errors : [],
          }
        : { status: "InProgress", endTime: null, errors: [] };
    }
    if (job.item.scenarioTarget) {
      const ageDays = (this.epoch.getTime() - job.startTime.getTime()) / dayMs;
      if (
        scenario.missedFullDays !== undefined &&
        job.backupType === "Full" &&
        ageDays < scenario.missedFullDays
      ) {
        return failed(
          job,
          "UserErrorSqlNoSysadminMembership",
          "Azure Backup does not have sysadmin on the SQL instance.",
        );
      }
      if (scenario.failedDifferentials !== undefined && job.backupType === "Differential") {
        const newer = this.differentialsOf(job.item).filter((j) => j.startTime > job.startTime).length;
        if (newer < scenario.failedDifferentials) {
          return failed(
            job,
            "UserErrorDifferentialBackupFailed",
            "Differential backup failed: the log chain is broken; a Full backup is needed.",
          );
        }
      }
    }
    return { status: job.status, endTime: job.endTime, errors: job.errors };
  }

  private differentialsOf(item: BackupItemRecord): BackupJobRecord[] {
    return (this.vault(item.vaultId)?.jobs ?? []).filter(
      (j) => j.item === item && j.backupType === "Differential" && j.runMs === undefined,
    );
  }

  /** The item's newest restorable point: its last backup of any type (log backups included). */
  lastBackupTime(item: BackupItemRecord, scenario: BackupScenario, now: Date): Date {
    if (item.kind === "vm") {
      const last = (this.vault(item.vaultId)?.jobs ?? []).find(
        (j) => j.item === item && this.jobStatus(j, scenario, now).status === "Completed",
      );
      return last?.endTime ?? new Date(this.epoch.getTime() - 2 * hourMs);
    }
    if (item.scenarioTarget && scenario.logGapHours !== undefined) {
      return new Date(now.getTime() - scenario.logGapHours * hourMs);
    }
    return new Date(now.getTime() - 20 * 60_000);
  }

  /** How far back the item's points reach: its longest retention, less what has not aged out yet. */
  oldestRecoveryPoint(item: BackupItemRecord, scenario: BackupScenario): Date {
    const days =
      item.kind === "vm"
        ? 30
        : item.scenarioTarget && scenario.fullRetentionWeeks
          ? scenario.fullRetentionWeeks * 7 - 1
          : 83;
    return new Date(this.epoch.getTime() - days * dayMs);
  }

  /** Starts an on-demand backup: the operation, then its job, which ends `jobMs` later. */
  trigger(
    item: BackupItemRecord,
    backupType: "Full" | "Differential" | "Log",
    now: Date,
    failure?: { code: string; message: string },
  ): BackupOperationRecord {
    const vault = this.vault(item.vaultId);
    const job: BackupJobRecord = {
      name: randomUUID(),
      vaultId: item.vaultId,
      item,
      operation: item.kind === "vm" ? "Backup" : `Backup (${backupType})`,
      backupType,
      status: "InProgress",
      startTime: new Date(now.getTime() + this.timings.operationMs),
      endTime: null,
      errors: [],
      runMs: this.timings.jobMs,
      outcome: "Completed",
    };
    const operation: BackupOperationRecord = {
      id: randomUUID(),
      item,
      job,
      startedAt: now,
      pendingMs: this.timings.operationMs,
      ...(failure ? { failure } : {}),
    };
    this.operations.set(operation.id, operation);
    // The job exists once the operation has named it.
    if (!failure) setTimeout(() => vault?.jobs.unshift(job), this.timings.operationMs).unref();
    return operation;
  }

  /** A backup of the item running now (InProgress), if any: Azure refuses a second one. */
  running(item: BackupItemRecord, now: Date): BackupJobRecord | undefined {
    return [...this.operations.values()]
      .filter((o) => !o.failure)
      .map((o) => o.job)
      .find((j) => j.item === item && now.getTime() < j.startTime.getTime() + (j.runMs ?? 0));
  }
}

function failed(
  job: BackupJobRecord,
  code: string,
  message: string,
): Pick<BackupJobRecord, "status" | "endTime" | "errors"> {
  return {
    status: "Failed",
    endTime: job.endTime ? new Date(job.startTime.getTime() + 90_000) : null,
    errors: [{ code, message }],
  };
}

import type { ChangeToken } from "../../src/shared/change-control/change-token.ts";
import { OpsError } from "../../src/shared/errors.ts";
import type {
  BackupJobFilter,
  BackupJobState,
  BackupPolicyState,
  BackupRequest,
  BackupVaults,
  ProtectedItemState,
  TriggeredBackup,
} from "../../src/shared/ports/backup-vaults.ts";

interface FakeVault {
  items: ProtectedItemState[];
  policies: BackupPolicyState[];
  jobs: BackupJobState[];
}

/**
 * Recovery Services vaults in memory. A triggered backup becomes an InProgress job that completes (or
 * fails, with `failNextJob`) after `jobPolls` reads of it, as a job in Azure ends some time later.
 */
export class FakeBackupVaults implements BackupVaults {
  vaults = new Map<string, FakeVault>();
  /** Vaults whose reads fail (with this error). */
  failing = new Map<string, Error>();
  triggers: { changeId: string; itemId: string; request: BackupRequest; jobId: string }[] = [];
  calls = { items: 0, policies: 0, jobs: 0, getJob: 0, trigger: 0 };
  jobPolls = 1;
  failNextJob: string | undefined;
  /** The operation Azure answers with ends Failed (no job is started). */
  failNextOperation: string | undefined;
  private polls = new Map<string, number>();
  private nextId = 1;

  constructor(private readonly now: () => Date = () => new Date()) {}

  addVault(vaultId: string, vault: Partial<FakeVault> = {}): FakeVault {
    const entry = { items: [], policies: [], jobs: [], ...vault };
    this.vaults.set(vaultId.toLowerCase(), entry);
    return entry;
  }

  private vault(vaultId: string): FakeVault {
    const failure = this.failing.get(vaultId.toLowerCase());
    if (failure) throw failure;
    const vault = this.vaults.get(vaultId.toLowerCase());
    if (!vault) {
      throw new OpsError(
        "NotFound",
        `Recovery Services vault ${vaultId.split("/").pop()} was not found (ResourceNotFound)`,
      );
    }
    return vault;
  }

  async *listProtectedItems(vaultId: string): AsyncIterable<ProtectedItemState> {
    this.calls.items++;
    yield* this.vault(vaultId).items.map((i) => structuredClone(i));
  }

  async *listPolicies(vaultId: string): AsyncIterable<BackupPolicyState> {
    this.calls.policies++;
    yield* this.vault(vaultId).policies.map((p) => structuredClone(p));
  }

  async *listJobs(vaultId: string, filter: BackupJobFilter): AsyncIterable<BackupJobState> {
    this.calls.jobs++;
    const until = (filter.until ?? this.now()).toISOString();
    const since = filter.since.toISOString();
    const jobs = this.vault(vaultId)
      .jobs.filter((j) => j.startTime >= since && j.startTime <= until)
      .filter((j) => !filter.status || j.status.toLowerCase() === filter.status.toLowerCase())
      .filter(
        (j) => !filter.operation || j.operation.toLowerCase().startsWith(filter.operation.toLowerCase()),
      )
      .sort((a, b) => b.startTime.localeCompare(a.startTime));
    yield* jobs.map((j) => structuredClone(j));
  }

  async getJob(vaultId: string, jobId: string): Promise<BackupJobState | undefined> {
    this.calls.getJob++;
    const job = this.vault(vaultId).jobs.find((j) => j.name === jobId);
    if (job && job.status === "InProgress") {
      const polls = (this.polls.get(jobId) ?? 0) + 1;
      this.polls.set(jobId, polls);
      if (polls >= this.jobPolls) {
        const failed = this.failNextJob;
        this.failNextJob = undefined;
        job.status = failed ? "Failed" : "Completed";
        job.endTime = this.now().toISOString();
        job.duration = "PT2M";
        if (failed) job.errors = [{ code: "UserErrorSqlNoSysadminMembership", message: failed }];
        else {
          const item = this.vault(vaultId).items.find((i) => i.friendlyName === job.entityFriendlyName);
          if (item) item.lastBackupTime = job.endTime;
        }
      }
    }
    return job ? structuredClone(job) : undefined;
  }

  async triggerBackup(
    token: ChangeToken,
    item: Pick<ProtectedItemState, "id" | "vaultId" | "containerName" | "name" | "backupManagementType">,
    request: BackupRequest,
  ): Promise<TriggeredBackup> {
    this.calls.trigger++;
    token.assertFor(item.id);
    const vault = this.vault(item.vaultId);
    const found = vault.items.find((i) => i.id === item.id);
    if (!found) throw new OpsError("NotFound", `protected item ${item.name} was not found`);
    if (this.failNextOperation) {
      const message = this.failNextOperation;
      this.failNextOperation = undefined;
      throw new OpsError("AzureRequestFailed", `the backup of ${item.name} ended Failed: ${message}`);
    }
    const jobId = `job-${String(this.nextId++).padStart(4, "0")}`;
    vault.jobs.push({
      id: `${item.vaultId}/backupJobs/${jobId}`,
      name: jobId,
      vaultId: item.vaultId,
      entityFriendlyName: found.friendlyName,
      backupManagementType: found.backupManagementType,
      operation: found.backupManagementType === "AzureIaasVM" ? "Backup" : `Backup (${request.backupType})`,
      backupType: request.backupType,
      status: "InProgress",
      startTime: this.now().toISOString(),
      endTime: null,
      duration: null,
      errors: [],
    });
    this.triggers.push({ changeId: token.changeId, itemId: item.id, request, jobId });
    return { operationId: `op-${jobId}`, jobId };
  }
}

const dayMs = 86_400_000;

/** The guide's schedule as a SQL-in-VM policy: Full weekly (Sunday) / 12 weeks, Differential the other days / 30 days, logs hourly / 7 days. */
export function guideSqlPolicy(
  vaultId: string,
  name = "SqlGuidePolicy",
  fullRetentionDays = 84,
): BackupPolicyState {
  return {
    id: `${vaultId}/backupPolicies/${name}`,
    name,
    backupManagementType: "AzureWorkload",
    subPolicies: [
      {
        type: "Full",
        frequency: "Weekly",
        days: ["Sunday"],
        intervalMinutes: null,
        retentionDays: fullRetentionDays,
      },
      {
        type: "Differential",
        frequency: "Weekly",
        days: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
        intervalMinutes: null,
        retentionDays: 30,
      },
      { type: "Log", frequency: "Minutes", days: [], intervalMinutes: 60, retentionDays: 7 },
    ],
  };
}

export function vmDailyPolicy(vaultId: string, name = "VmDailyPolicy"): BackupPolicyState {
  return {
    id: `${vaultId}/backupPolicies/${name}`,
    name,
    backupManagementType: "AzureIaasVM",
    subPolicies: [{ type: "Full", frequency: "Daily", days: [], intervalMinutes: null, retentionDays: 30 }],
  };
}

/**
 * A healthy vault: one SQL database in a VM on the guide's policy and the VM itself on a daily policy,
 * with the jobs their schedules made over the last `days` days (22:00 UTC), each Completed.
 */
export function healthyVault(
  vaultId: string,
  now: Date,
  options: { database?: string; vm?: string; days?: number } = {},
): Partial<FakeVault> & {
  items: ProtectedItemState[];
  policies: BackupPolicyState[];
  jobs: BackupJobState[];
} {
  const database = options.database ?? "phoenixdb";
  const vm = options.vm ?? "sqlvm-phoenix-prod";
  const rg = /resourceGroups\/([^/]+)/i.exec(vaultId)?.[1] ?? "rg";
  const sqlPolicy = guideSqlPolicy(vaultId);
  const vmPolicy = vmDailyPolicy(vaultId);
  const sqlContainer = `VMAppContainer;compute;${rg};${vm}`;
  const vmContainer = `IaasVMContainer;iaasvmcontainerv2;${rg};${vm}`;
  const items: ProtectedItemState[] = [
    {
      id: `${vaultId}/backupFabrics/Azure/protectionContainers/${sqlContainer}/protectedItems/SQLDataBase;mssqlserver;${database}`,
      name: `SQLDataBase;mssqlserver;${database}`,
      friendlyName: database,
      containerName: sqlContainer,
      vaultId,
      backupManagementType: "AzureWorkload",
      workloadType: "SQLDataBase",
      policyId: sqlPolicy.id,
      protectionState: "Protected",
      lastBackupStatus: "Healthy",
      lastBackupTime: new Date(now.getTime() - 20 * 60_000).toISOString(),
      oldestRecoveryPoint: new Date(now.getTime() - 83 * dayMs).toISOString(),
      sourceResourceId: `/subscriptions/x/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${vm}`,
    },
    {
      id: `${vaultId}/backupFabrics/Azure/protectionContainers/${vmContainer}/protectedItems/VM;iaasvmcontainerv2;${rg};${vm}`,
      name: `VM;iaasvmcontainerv2;${rg};${vm}`,
      friendlyName: vm,
      containerName: vmContainer,
      vaultId,
      backupManagementType: "AzureIaasVM",
      workloadType: "VM",
      policyId: vmPolicy.id,
      protectionState: "Protected",
      lastBackupStatus: "Healthy",
      lastBackupTime: new Date(now.getTime() - 10 * 3_600_000).toISOString(),
      oldestRecoveryPoint: new Date(now.getTime() - 29.5 * dayMs).toISOString(),
      sourceResourceId: `/subscriptions/x/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${vm}`,
    },
  ];
  const jobs: BackupJobState[] = [];
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  let n = 0;
  for (let d = options.days ?? 16; d >= 0; d--) {
    const at = new Date(today - d * dayMs + 22 * 3_600_000);
    if (at.getTime() > now.getTime()) continue;
    const sunday = at.getUTCDay() === 0;
    const job = (entity: string, management: string, type: "Full" | "Differential", operation: string) => {
      const name = `job-h${String(++n).padStart(4, "0")}`;
      jobs.push({
        id: `${vaultId}/backupJobs/${name}`,
        name,
        vaultId,
        entityFriendlyName: entity,
        backupManagementType: management,
        operation,
        backupType: type,
        status: "Completed",
        startTime: at.toISOString(),
        endTime: new Date(at.getTime() + 12 * 60_000).toISOString(),
        duration: "PT12M",
        errors: [],
      });
    };
    job(
      database,
      "AzureWorkload",
      sunday ? "Full" : "Differential",
      sunday ? "Backup (Full)" : "Backup (Differential)",
    );
    job(vm, "AzureIaasVM", "Full", "Backup");
  }
  return { items, policies: [sqlPolicy, vmPolicy], jobs };
}

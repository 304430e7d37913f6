import type { ChangeToken } from "../change-control/change-token.ts";
import type { CallOptions } from "./call-options.ts";

/** The backup types of the guide's schedule (SQL Server in a VM); an IaaS VM has Full only. */
export type BackupType = "Full" | "Differential" | "Log";
export const backupTypes = ["Full", "Differential", "Log"] as const satisfies readonly BackupType[];

/** One sub-policy of a vault's backup policy: its schedule and how long its points are kept. */
export interface BackupSubPolicy {
  type: BackupType | "CopyOnlyFull" | "Incremental";
  /** "Daily", "Weekly", "Hourly" (IaaS VM enhanced policies) or "Minutes" (log backups). */
  frequency: string;
  /** Weekly schedules: the days it runs on (e.g. ["Sunday"]). */
  days: string[];
  /** Log schedules: every this many minutes. */
  intervalMinutes: number | null;
  /** How long its points are kept, in days (the longest of its daily/weekly/simple retention); null when unknown. */
  retentionDays: number | null;
}

export interface BackupPolicyState {
  id: string;
  name: string;
  backupManagementType: string;
  subPolicies: BackupSubPolicy[];
}

export interface ProtectedItemState {
  id: string;
  /** The item's name in the vault, e.g. `SQLDataBase;mssqlserver;phoenixdb`. */
  name: string;
  friendlyName: string;
  /** The container's name, e.g. `VMAppContainer;compute;rg;sqlvm`. */
  containerName: string;
  vaultId: string;
  /** "AzureWorkload" (SQL in a VM) or "AzureIaasVM". */
  backupManagementType: string;
  /** "SQLDataBase", "VM", … */
  workloadType: string;
  policyId: string | null;
  protectionState: string | null;
  lastBackupStatus: string | null;
  /** The last backup of any type, logs included: the newest restorable point of a SQL item. */
  lastBackupTime: string | null;
  /** The oldest restorable point the vault holds. */
  oldestRecoveryPoint: string | null;
  /** The source: the VM, or the VM the SQL instance runs on. */
  sourceResourceId: string | null;
}

/** InProgress, Completed, CompletedWithWarnings, Failed, Cancelled or Cancelling, as Azure words them. */
export type BackupJobStatus = string;

export interface BackupJobState {
  id: string;
  /** The job's id (its name under backupJobs). */
  name: string;
  vaultId: string;
  entityFriendlyName: string;
  backupManagementType: string;
  /** As Azure words it: "Backup", "Backup (Full)", "ConfigureBackup", … */
  operation: string;
  /** The backup type, when the job is a backup and says which. */
  backupType: BackupType | null;
  status: BackupJobStatus;
  startTime: string;
  endTime: string | null;
  duration: string | null;
  errors: { code: string; message: string }[];
}

export interface BackupJobFilter {
  /** Jobs started at or after this. */
  since: Date;
  /** Jobs started before this; now when omitted. */
  until?: Date;
  status?: string;
  operation?: string;
  backupManagementType?: string;
}

export interface BackupRequest {
  backupType: BackupType;
  /** Until when the point is kept; the policy's when omitted. */
  retainUntil?: Date;
}

/** A backup that was triggered: the operation Azure answered with, and the job it became. */
export interface TriggeredBackup {
  operationId: string;
  jobId: string;
}

/**
 * Recovery Services vaults on Resource Manager: the reads of a backup verification, one paged list per
 * vault (never per item), and the one write (an on-demand backup) with a change-control token.
 */
export interface BackupVaults {
  /** Every protected item of the vault. Throws NotFound when the vault does not exist. */
  listProtectedItems(vaultId: string, options?: CallOptions): AsyncIterable<ProtectedItemState>;
  listPolicies(vaultId: string, options?: CallOptions): AsyncIterable<BackupPolicyState>;
  /** The vault's jobs in a time range (and of a status or operation), newest first as Azure gives them. */
  listJobs(vaultId: string, filter: BackupJobFilter, options?: CallOptions): AsyncIterable<BackupJobState>;
  /** Undefined when the vault has no such job. */
  getJob(vaultId: string, jobId: string, options?: CallOptions): Promise<BackupJobState | undefined>;
  /**
   * Triggers a backup of the item (202), and follows the operation Azure answers with to the job it
   * starts. Only with a change-control token for the item.
   */
  triggerBackup(
    token: ChangeToken,
    item: Pick<ProtectedItemState, "id" | "vaultId" | "containerName" | "name" | "backupManagementType">,
    request: BackupRequest,
    options?: CallOptions,
  ): Promise<TriggeredBackup>;
}

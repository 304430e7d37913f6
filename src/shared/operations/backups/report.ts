import type { Status } from "../../procedures/status.ts";

/** One thing verified about a protected item: its value against the expectation, with a reason. */
export interface BackupCheck {
  label: string;
  value: string | null;
  expected: string;
  status: Status;
  reason: string;
}

export interface ItemResult {
  vault: string;
  /** The item's friendly name (the database or VM). */
  item: string;
  /** Its name in the vault, e.g. `SQLDataBase;mssqlserver;phoenixdb`. */
  itemName: string;
  containerName: string;
  /** "SQL Server in Azure VM", "Azure VM", or the workload type Azure names. */
  kind: string;
  policy: string | null;
  status: Status;
  /** The restore-point figures: the newest point and how old it is, the oldest point and how far back. */
  newestRestorePoint: string | null;
  restorePointAgeMinutes: number | null;
  oldestRestorePoint: string | null;
  restoreWindowDays: number | null;
  checks: BackupCheck[];
  /** Things worth knowing that change no status (a failed job retried successfully). */
  notes: string[];
}

export interface VaultResult {
  vaultId: string;
  name: string;
  status: Status;
  /** Set when the vault could not be read: its items are unknown. */
  error: string | null;
  items: ItemResult[];
}

export interface BackupReport {
  runId: string;
  environment: string;
  trigger: string;
  startedAt: string;
  finishedAt: string;
  status: Status;
  /** Jobs were read from here on. */
  jobsSince: string;
  vaults: VaultResult[];
  notification: { sent: boolean; recipients: string[]; error?: string } | null;
}

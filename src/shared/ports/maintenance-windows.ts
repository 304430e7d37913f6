import type { CallOptions } from "./call-options.ts";

/** A maintenance window opened at run time (`maintenance start`), as Table storage keeps it. */
export interface MaintenanceWindowRecord {
  id: string;
  environment: string;
  status: "open" | "ended";
  startedAt: string;
  plannedEnd: string;
  endedAt: string | null;
  openedBy: string;
  endedBy: string | null;
  reason: string;
  notification: boolean;
  /** How it ended: "by operator", "planned end reached", … */
  endNote: string | null;
  /** The last verification's outcome, when `maintenance end --verification true` ran one. */
  verification: { status: string; summary: string; at: string } | null;
}

/**
 * Maintenance windows opened at run time, shared by every instance: created once, updated with ETags
 * (optimistic concurrency), so two instances ending one window at once end it once.
 */
export interface MaintenanceWindowStore {
  create(window: MaintenanceWindowRecord, options?: CallOptions): Promise<void>;
  get(id: string, options?: CallOptions): Promise<MaintenanceWindowRecord | undefined>;
  /**
   * Applies `change` to the current version under its ETag, retried on a conflict; `change` may answer
   * undefined to leave the record as it is. Answers the record as stored.
   */
  update(
    id: string,
    change: (current: MaintenanceWindowRecord) => MaintenanceWindowRecord | undefined,
    options?: CallOptions,
  ): Promise<MaintenanceWindowRecord>;
  /** Open windows (optionally of one environment), newest first. */
  listOpen(options?: CallOptions & { environment?: string }): Promise<MaintenanceWindowRecord[]>;
  /** Newest first. */
  listRecent(options?: CallOptions & { limit?: number }): Promise<MaintenanceWindowRecord[]>;
}

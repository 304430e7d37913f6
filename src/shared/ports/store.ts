import type { HealthReport } from "../health/report.ts";
import type { Status } from "../health/status.ts";

export interface HealthRunSummary {
  runId: string;
  environment: string;
  trigger: HealthReport["trigger"];
  status: Status;
  startedAt: string;
  finishedAt: string;
  componentCount: number;
  notified: boolean;
}

/** Durable state (Table storage, Blob storage for whole reports). Nothing of it lives in memory. */
export interface RunStore {
  /** Keeps the run; history is never overwritten. */
  saveHealthRun(report: HealthReport): Promise<void>;
  /** Latest first. */
  listHealthRuns(environment: string, options?: { limit?: number }): Promise<HealthRunSummary[]>;
  getHealthRun(environment: string, runId: string): Promise<HealthReport | undefined>;
  /**
   * Claims a scheduled run (procedure, scope, period) for this caller. Exactly one caller across all
   * instances wins; the others get false. Late or repeated timer ticks therefore run a procedure once.
   */
  claimScheduledRun(procedure: string, scope: string, period: string, owner: string): Promise<boolean>;
  /** Gives a claim back after a failed run so that the next tick tries again. */
  releaseScheduledRun(procedure: string, scope: string, period: string, owner: string): Promise<void>;
}

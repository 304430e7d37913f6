import type { CallOptions } from "./call-options.ts";

export interface ScheduledRun {
  procedure: string;
  scope: string;
  /** The period the run is for, e.g. the UTC day "2026-12-01". */
  period: string;
}

/**
 * Claims for scheduled runs, shared by every timer procedure. Exactly one caller across all instances
 * wins a (procedure, scope, period); late or repeated ticks therefore run a procedure once per period.
 */
export interface ScheduledRunClaims {
  claimRun(run: ScheduledRun, owner: string, options?: CallOptions): Promise<boolean>;
  /** Gives a claim back after a failed run, so that the next tick tries again; only its owner can. */
  releaseRun(run: ScheduledRun, owner: string, options?: CallOptions): Promise<void>;
}

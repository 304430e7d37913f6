import type { Status } from "../procedures/status.ts";
import type { CallOptions } from "./call-options.ts";

/** One run of a procedure, as its history lists it; the whole document is kept beside it. */
export interface RunRecord {
  /** The procedure's stable history name, e.g. "health". */
  procedure: string;
  /** What the run was about, e.g. the environment. */
  scope: string;
  runId: string;
  trigger: string;
  status: Status;
  startedAt: string;
  finishedAt: string;
  /** A few facts for listings (counts, flags); the document holds the rest. */
  facts: Record<string, string | number | boolean>;
}

/** Durable run history: a summary row per run and the run's whole document. Never overwritten. */
export interface RunHistory {
  saveRun(record: RunRecord, document: unknown, options?: CallOptions): Promise<void>;
  /** Newest first. */
  listRuns(
    procedure: string,
    scope: string,
    options?: CallOptions & { limit?: number },
  ): AsyncIterable<RunRecord>;
  getRun(procedure: string, scope: string, runId: string, options?: CallOptions): Promise<unknown>;
}

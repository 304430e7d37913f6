/** Who or what asked for a change: an operator (their token's name), an alert and its incident, a timer. */
export interface ChangeRequester {
  kind: "operator" | "alert" | "timer" | "system";
  name: string;
  alertId?: string;
  incidentId?: string;
}

export type ChangeStatus =
  /** Claimed by its key and being planned: nothing has changed yet. */
  | "requested"
  /** Planned and checked, nothing changed: a rehearsal. */
  | "dry-run"
  /** The estate already is as asked: nothing to change. */
  | "no-change"
  /** A guardrail said no; `blockedBy` names it. */
  | "blocked"
  /** Another change of the same resource is in flight. */
  | "in-flight"
  | "started"
  | "succeeded"
  | "failed";

export const changeStatuses = [
  "requested",
  "dry-run",
  "no-change",
  "blocked",
  "in-flight",
  "started",
  "succeeded",
  "failed",
] as const satisfies readonly ChangeStatus[];

/** A change as the audit trail keeps it: one record per change, its steps as append-only events. */
export interface ChangeRecord {
  id: string;
  /** The natural key: a repeat of the same request answers this record, never a second change. */
  key: string;
  /** What was asked, as a fingerprint: the same key with another request is refused. */
  requestHash: string;
  procedure: string;
  environment: string;
  resourceId: string;
  action: string;
  reason: string;
  requestedBy: ChangeRequester;
  dryRun: boolean;
  /** Set when an operator forced the change through a freeze. */
  forced: { reason: string } | null;
  status: ChangeStatus;
  /** The plan in words, e.g. "asp-phoenix-prod: P1V2 → P2V2". */
  summary: string;
  before: unknown;
  after: unknown;
  /** What was read back once the change was applied. */
  observed: unknown;
  blockedBy: { rule: string; detail: string } | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface ChangeEvent {
  at: string;
  /** requested, planned, blocked, started, applied, verified, succeeded, failed, notified, … */
  step: string;
  detail: string;
}

export function isFinal(status: ChangeStatus): boolean {
  return status !== "started" && status !== "requested";
}

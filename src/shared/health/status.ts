import type { Threshold } from "../config/policy.ts";

/** ok < warning < critical; unknown sits apart but outranks ok: missing data is never good news. */
export type Status = "ok" | "warning" | "critical" | "unknown";

const rank: Record<Status, number> = { ok: 0, unknown: 1, warning: 2, critical: 3 };

export function worstOf(statuses: Iterable<Status>): Status {
  let worst: Status = "ok";
  let seen = false;
  for (const status of statuses) {
    seen = true;
    if (rank[status] > rank[worst]) worst = status;
  }
  return seen ? worst : "unknown";
}

/** Exit codes of the monitoring-plugins convention. */
export const exitCodeOf: Record<Status, number> = { ok: 0, warning: 1, critical: 2, unknown: 3 };

export function judge(value: number, threshold: Threshold): Exclude<Status, "unknown"> {
  const breaches = (limit: number): boolean =>
    threshold.direction === "below" ? value < limit : value > limit;
  if (breaches(threshold.critical)) return "critical";
  if (breaches(threshold.warning)) return "warning";
  return "ok";
}

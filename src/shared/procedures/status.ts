/** ok < warning < critical; unknown sits apart but outranks ok: missing data is never good news. */
export type Status = "ok" | "warning" | "critical" | "unknown";

export const statuses = ["ok", "warning", "critical", "unknown"] as const;

const rank: Record<Status, number> = { ok: 0, unknown: 1, warning: 2, critical: 3 };

export function worstOf(values: Iterable<Status>): Status {
  let worst: Status = "ok";
  let seen = false;
  for (const status of values) {
    seen = true;
    if (rank[status] > rank[worst]) worst = status;
  }
  return seen ? worst : "unknown";
}

/** Exit codes of the monitoring-plugins convention, plus the BSD usage code. */
export const exitCodes = { ok: 0, warning: 1, critical: 2, unknown: 3, error: 3, usage: 64 } as const;

export const exitCodeOf: Record<Status, number> = {
  ok: exitCodes.ok,
  warning: exitCodes.warning,
  critical: exitCodes.critical,
  unknown: exitCodes.unknown,
};

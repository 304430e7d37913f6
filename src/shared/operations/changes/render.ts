import type { ChangeEvent, ChangeRecord } from "../../change-control/model.ts";

/** A change for a terminal: what, who, why, before and after, and every step. */
export function renderChange(change: ChangeRecord, steps: readonly ChangeEvent[]): string {
  return [
    `${change.id}  ${change.status.toUpperCase()}${change.dryRun ? " (dry run)" : ""}`,
    `Change:     ${change.summary}`,
    `Resource:   ${change.resourceId}`,
    `Procedure:  ${change.procedure} (${change.environment})`,
    `Asked by:   ${change.requestedBy.name} (${change.requestedBy.kind}${change.requestedBy.incidentId ? `, incident ${change.requestedBy.incidentId}` : ""})`,
    `Reason:     ${change.reason}`,
    ...(change.forced ? [`Forced:     ${change.forced.reason}`] : []),
    ...(change.blockedBy ? [`Blocked by: ${change.blockedBy.rule}: ${change.blockedBy.detail}`] : []),
    ...(change.error ? [`Error:      ${change.error}`] : []),
    `Before:     ${JSON.stringify(change.before)}`,
    `After:      ${JSON.stringify(change.after)}`,
    `Read back:  ${JSON.stringify(change.observed)}`,
    "",
    "Steps:",
    ...steps.map((s) => `  ${s.at}  ${s.step.padEnd(10)} ${s.detail}`),
    "",
  ].join("\n");
}

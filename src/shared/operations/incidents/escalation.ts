import { queueNames } from "../../ports/work-queue.ts";
import { type IncidentEmailKind } from "./email.ts";
import { type IncidentDeps, event, stepOrder } from "./common.ts";
import { notify } from "./notifications.ts";
import { knownName } from "../../names.ts";

/*
 * Escalation: each step is a queue message made visible when the previous level's time is up.
 */

export interface EscalationStep {
  incidentId: string;
  level: number;
  round: number;
}

export async function runEscalationStep(deps: IncidentDeps, step: EscalationStep): Promise<string> {
  const incident = await deps.incidents.getIncident(step.incidentId);
  if (!incident) return "no such incident";
  if (incident.status !== "open") return `stopped: incident is ${incident.status}`;
  if (incident.suppressedBy) return "stopped: suppressed by a maintenance window";
  const policy = incident.escalationPolicy
    ? knownName(deps.policy.escalationPolicies, incident.escalationPolicy)
    : undefined;
  const level = policy?.levels[step.level];
  if (!policy || !level) return "stopped: no such escalation level";
  // A step already taken (a redelivered message) does nothing more.
  if (incident.escalation && stepOrder(incident.escalation) >= stepOrder(step))
    return "already escalated to this level";
  const now = deps.clock.now();
  const lastLevel = step.level === policy.levels.length - 1;
  const next: EscalationStep | null = !lastLevel
    ? { incidentId: incident.id, level: step.level + 1, round: step.round }
    : step.round < policy.repeat
      ? { incidentId: incident.id, level: 0, round: step.round + 1 }
      : null;
  const nextAt = next ? new Date(now.getTime() + level.minutesToAcknowledge * 60_000).toISOString() : null;
  const label = `level ${step.level + 1} of ${policy.levels.length}${policy.repeat > 0 ? `, round ${step.round + 1} of ${policy.repeat + 1}` : ""}`;
  const kind: IncidentEmailKind = step.level === 0 && step.round === 0 ? "opened" : "escalated";
  // Page, schedule and write the history first, record the step last: a step that fails half-way is
  // retried whole. Its page is sent once (the outbox), its event written once (its id), and a second
  // next-step message stops at the check above.
  const shown = { ...incident, escalation: { level: step.level, round: step.round, nextAt } };
  await notify(deps, shown, kind, `esc-${step.round}-${step.level}`, level.recipients, label);
  if (next)
    await deps.queue.send(queueNames.escalations, next, { delayInSeconds: level.minutesToAcknowledge * 60 });
  if (step.level > 0 || step.round > 0) {
    await deps.incidents.appendEvent(incident.id, {
      ...event(now, "escalated", "escalation", `${label}: ${level.recipients.join(", ")}`),
      id: `escalated-${step.round}-${step.level}`,
    });
  }
  const updated = await deps.incidents.updateIncident(incident.id, (current) => {
    if (current.status !== "open") return undefined;
    if (current.escalation && stepOrder(current.escalation) >= stepOrder(step)) return undefined;
    current.escalation = { level: step.level, round: step.round, nextAt };
    return current;
  });
  if (updated.status !== "open") return `paged ${label}; incident is now ${updated.status}`;
  return `notified ${label}`;
}

import type { OpsPolicy } from "../../config/policy.ts";
import type { Incident } from "../../incidents/model.ts";
import { type WorkQueue, queueNames } from "../../ports/work-queue.ts";

/** A message of the scale-back queue: the resolved incident whose scaling is undone, and the attempt. */
export interface ScaleBackMessage {
  incidentId: string;
  attempt: number;
}

/**
 * Called where an incident resolves (an alert's resolution, an operator): when its rule scales back by
 * itself, the scale-back is queued for the end of the stabilisation period. A delayed message, so it
 * survives restarts; the step finds the incident's scaling changes itself, and does nothing if none.
 */
export async function scheduleScaleBack(
  deps: { policy: OpsPolicy; queue: WorkQueue },
  incident: Pick<Incident, "id" | "rule">,
): Promise<void> {
  const rule = deps.policy.alertRules.find((r) => r.name === incident.rule);
  if (rule?.scale?.back !== "auto") return;
  const message: ScaleBackMessage = { incidentId: incident.id, attempt: 0 };
  await deps.queue.send(queueNames.scaleBack, message, {
    delayInSeconds: rule.scale.stabilisationMinutes * 60,
  });
}

/**
 * Called where an alert opens an incident: when the alert's rule scales, the scaling is queued (its own
 * step, so that a slow Resource Manager never holds up the incident's paging). Inside a maintenance
 * window nothing is scaled: the window's owners are changing the estate themselves.
 */
export async function requestScaling(
  deps: { policy: OpsPolicy; queue: WorkQueue },
  incident: Pick<Incident, "id" | "rule" | "target" | "suppressedBy">,
  alertId: string,
): Promise<boolean> {
  const rule = deps.policy.alertRules.find((r) => r.name === incident.rule);
  if (!rule?.scale || !incident.target || incident.suppressedBy) return false;
  await deps.queue.send(queueNames.scaling, {
    incidentId: incident.id,
    alertId,
    rule: incident.rule,
    target: incident.target,
  });
  return true;
}

import { OpsError } from "../../errors.ts";
import { type Incident, type IncidentEvent, type Priority } from "../../incidents/model.ts";
import { type Actor, type IncidentDeps, event, incidentRecord, newIncidentId } from "./common.ts";
import { notify } from "./notifications.ts";
import { scheduleScaleBack } from "../scaling/hooks.ts";
import { knownName } from "../../names.ts";

/*
 * Operators: acknowledge, resolve and open incidents by hand, and read them with their history.
 */

export async function acknowledgeIncident(
  deps: IncidentDeps,
  id: string,
  by: Actor,
  note?: string,
): Promise<Incident> {
  const now = deps.clock.now();
  const incident = await deps.incidents.updateIncident(id, (current) => {
    if (current.status !== "open") {
      throw new OpsError(
        "Conflict",
        `incident ${id} is ${current.status}; only an open incident can be acknowledged`,
      );
    }
    current.status = "acknowledged";
    current.acknowledgedAt = now.toISOString();
    current.acknowledgedBy = by;
    if (current.escalation) current.escalation = { ...current.escalation, nextAt: null };
    return current;
  });
  await deps.incidents.appendEvent(id, event(now, "acknowledged", by, note ?? "escalation stopped"));
  return incident;
}

export async function resolveIncident(
  deps: IncidentDeps,
  id: string,
  by: Actor,
  note?: string,
): Promise<Incident> {
  const now = deps.clock.now();
  const current = await deps.incidents.getIncident(id);
  if (!current) throw new OpsError("NotFound", `no incident ${id}`);
  if (current.status === "resolved") {
    // Finish a release that failed before, then say it is done already.
    await deps.incidents.releaseIncidentKey(current.dedupKey, current.id);
    throw new OpsError("Conflict", `incident ${id} is already resolved`);
  }
  const incident = await deps.incidents.updateIncident(id, (latest) => {
    if (latest.status === "resolved") throw new OpsError("Conflict", `incident ${id} is already resolved`);
    latest.status = "resolved";
    latest.resolvedAt = now.toISOString();
    latest.resolvedBy = by;
    if (latest.escalation) latest.escalation = { ...latest.escalation, nextAt: null };
    return latest;
  });
  await deps.incidents.releaseIncidentKey(incident.dedupKey, incident.id);
  await deps.incidents.appendEvent(id, event(now, "resolved", by, note ?? "resolved by an operator"));
  await scheduleScaleBack(deps, incident);
  return incident;
}

export interface ManualIncidentRequest {
  priority: Priority;
  title: string;
  description?: string;
  environment?: string;
  notifyTeam: boolean;
}

/** The guide's `incident-response.sh --severity high --notify-team true`. */
export async function openManualIncident(
  deps: IncidentDeps,
  request: ManualIncidentRequest,
  by: Actor,
): Promise<Incident> {
  const now = deps.clock.now();
  const env = request.environment ? knownName(deps.policy.environments, request.environment) : undefined;
  if (request.environment && !env) {
    throw new OpsError("BadRequest", `unknown environment "${request.environment}"`, {
      details: { field: "environment" },
    });
  }
  const id = newIncidentId(now);
  const incident = incidentRecord({
    id,
    dedupKey: `manual|${id}`,
    source: "manual",
    title: request.title,
    description: request.description ?? null,
    environment: request.environment ?? null,
    rule: "manual",
    target: null,
    priority: request.priority,
    openedAt: now.toISOString(),
    openedBy: by,
    recipients: env?.recipients ?? deps.policy.incidents.defaultRecipients,
  });
  await deps.incidents.claimIncidentKey(incident.dedupKey, id);
  await deps.incidents.createIncident(incident);
  await deps.incidents.appendEvent(
    id,
    event(now, "opened", by, `incident response activated (${request.priority})`),
  );
  if (request.notifyTeam) await notify(deps, incident, "opened", "open", incident.recipients);
  return incident;
}

export async function getIncidentWithHistory(
  deps: IncidentDeps,
  id: string,
): Promise<{ incident: Incident; history: IncidentEvent[] }> {
  const incident = await deps.incidents.getIncident(id);
  if (!incident) throw new OpsError("NotFound", `no incident ${id}`);
  const history = await deps.incidents.listEvents(id);
  return { incident, history };
}

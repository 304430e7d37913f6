import { lastSegment } from "../../alerts/alert-fields.ts";
import { sha256 } from "../../hashing.ts";
import type { NormalizedAlert } from "../../alerts/model.ts";
import { OpsError, describeError, isOpsError } from "../../errors.ts";
import { activeWindow, runtimeWindow } from "../../incidents/maintenance.ts";
import { type AlertRecord, type Incident, priorityOf } from "../../incidents/model.ts";
import { dedupKeyOf, routeAlert } from "../../incidents/routing.ts";
import { queueNames } from "../../ports/work-queue.ts";
import { type AlertMessage, readAlertQueueMessage } from "./alert-intake.ts";
import { AUTO_RESOLVED, type IncidentDeps, event, incidentRecord, isSite, newIncidentId } from "./common.ts";
import { runEscalationStep } from "./escalation.ts";
import { requestScaling, scheduleScaleBack } from "../scaling/hooks.ts";
import { alertKeyOf } from "./intake.ts";
import { notify, pendingNotification, queueOnce } from "./notifications.ts";
import { knownName } from "../../names.ts";
import pLimit from "p-limit";

/*
 * Processing: alerts into incidents. Every step is safe to repeat: a message that fails half-way is
 * delivered again and finishes the job without doing any part of it twice.
 */

/**
 * Processes the deliveries of one alerts-queue message, in the order they were received. One that
 * fails, or is malformed, does not hold up the others: all are tried, then the failures are thrown
 * together so that the queue delivers the message again (and, after its last attempt, keeps it in the
 * poison queue). Those already processed come back as duplicates, so only the failed ones do any work
 * the second time. Order is kept within a message, not across messages processed at the same time.
 */
export async function processAlertBatch(
  deps: IncidentDeps,
  body: unknown,
): Promise<{ processed: number; outcomes: Record<string, number> }> {
  const { alerts, rejected } = readAlertQueueMessage(body);
  const limitOf = pLimit(keysAtOnce);
  const outcomes: Record<string, number> = {};
  const failures: { delivery: string; error: unknown }[] = rejected.map((r) => ({
    delivery: `#${r.index}`,
    error: new OpsError("BadRequest", `delivery #${r.index} of the message is malformed (${r.issues})`),
  }));
  // Deliveries of different incidents (rule and target) run side by side; those of one run in order,
  // so that a resolution never overtakes its firing. A wave of alerts on many plans is then paged and
  // scaled together rather than one after another.
  await Promise.all(
    [...groupByIncidentKey(alerts).values()].map((group) =>
      limitOf(async () => {
        for (const message of group) {
          try {
            const { outcome } = await processAlert(deps, message);
            outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
          } catch (error) {
            failures.push({ delivery: message.key.slice(0, 16), error });
          }
        }
      }),
    ),
  );
  const [first] = failures;
  if (first) {
    const total = alerts.length + rejected.length;
    throw new OpsError(
      isOpsError(first.error) ? first.error.code : "Internal",
      `${failures.length} of ${total} alert deliveries failed (${failures.map((f) => f.delivery).join(", ")}): ${describeError(first.error)}`,
      {
        cause: first.error,
        retryable: failures.some((f) => isOpsError(f.error) && f.error.retryable),
        details: { failed: failures.map((f) => f.delivery), outcomes },
      },
    );
  }
  return { processed: alerts.length, outcomes };
}

/** How many incidents' deliveries of one message are processed at once. */
const keysAtOnce = 2;

/**
 * Groups a message's deliveries by the incident they belong to (the rule and target of a recognised
 * alert), keeping their order. A delivery whose payload is in a blob, or is not a recognised alert,
 * is a group of its own.
 */
function groupByIncidentKey(alerts: readonly AlertMessage[]): Map<string, AlertMessage[]> {
  const groups = new Map<string, AlertMessage[]>();
  for (const message of alerts) {
    let key = `delivery|${message.key}`;
    if (message.raw !== undefined) {
      try {
        const { result } = alertKeyOf(JSON.parse(message.raw) as unknown);
        if (result.kind === "alert") key = dedupKeyOf(result.alert);
      } catch {
        // Not JSON: processAlert reports it as the delivery's failure.
      }
    }
    const group = groups.get(key);
    if (group) group.push(message);
    else groups.set(key, [message]);
  }
  return groups;
}

export async function processAlert(
  deps: IncidentDeps,
  message: AlertMessage,
): Promise<{ incidentId: string | null; outcome: string }> {
  const raw = message.raw ?? (message.blob ? await deps.alerts.readPayload(message.blob) : undefined);
  if (raw === undefined) {
    deps.logger.warn("alert payload missing", { key: message.key });
    return { incidentId: null, outcome: "payload missing" };
  }
  const { key, result } = alertKeyOf(JSON.parse(raw) as unknown);
  const record: AlertRecord = {
    key,
    receivedAt: deps.clock.now().toISOString(),
    status: "received",
    alert: result.kind === "alert" ? result.alert : null,
    unrecognized:
      result.kind === "unrecognized" ? { reason: result.reason, fingerprint: result.fingerprint } : null,
    raw,
    incidentId: null,
  };
  if ((await deps.alerts.insertAlert(record)) === "exists") {
    const existing = await deps.alerts.getAlert(key);
    if (existing?.status === "processed") return { incidentId: existing.incidentId, outcome: "duplicate" };
  } else {
    // Once per distinct delivery (retries and duplicates are not counted): the alerts-received metric.
    deps.logger.info("alert received", {
      rule: record.alert?.rule ?? "(unrecognized)",
      monitorCondition: record.alert?.condition ?? "unknown",
    });
  }
  const outcome = record.alert
    ? await applyAlert(deps, record.alert, key)
    : await openUnrecognized(
        deps,
        record.unrecognized?.reason ?? "unrecognized payload",
        record.unrecognized?.fingerprint ?? key,
        raw,
      );
  await deps.alerts.markAlertProcessed(key, outcome.incidentId);
  return outcome;
}

async function applyAlert(
  deps: IncidentDeps,
  alert: NormalizedAlert,
  key: string,
): Promise<{ incidentId: string | null; outcome: string }> {
  const { clock } = deps;
  const now = clock.now();
  const dedupKey = dedupKeyOf(alert);
  const alertHash = sha256(alert.alertId).slice(0, 16);
  const eventKey = key.slice(0, 16);

  if (alert.condition === "resolved") {
    const openId = await deps.incidents.findIncidentKey(dedupKey);
    if (!openId) return { incidentId: null, outcome: "resolution without an open incident" };
    let resolvedNow = false;
    const incident = await deps.incidents.updateIncident(openId, (current) => {
      if (current.appliedAlertKeys.includes(eventKey)) return undefined;
      current.appliedAlertKeys = [...current.appliedAlertKeys, eventKey].slice(
        -deps.policy.incidents.maxAlertsPerIncident,
      );
      current.alertCount += 1;
      current.lastAlertAt = now.toISOString();
      current.activeAlerts = current.activeAlerts.filter((a) => a !== alertHash);
      resolvedNow = false;
      if (current.activeAlerts.length === 0 && current.status !== "resolved") {
        current.status = "resolved";
        current.resolvedAt = now.toISOString();
        current.resolvedBy = AUTO_RESOLVED;
        resolvedNow = true;
      }
      return current;
    });
    if (incident.status === "resolved") {
      // Also on a redelivery: a history event, release or email that failed the first time is
      // finished now (the event has an id, the email an outbox row).
      if (incident.resolvedBy === AUTO_RESOLVED)
        await deps.incidents.appendEvent(incident.id, {
          ...event(
            new Date(incident.resolvedAt ?? now.toISOString()),
            "auto-resolved",
            "system",
            "every alert of the incident is resolved",
          ),
          id: "auto-resolved",
        });
      await deps.incidents.releaseIncidentKey(dedupKey, incident.id);
      if (incident.resolvedBy === AUTO_RESOLVED && !incident.suppressedBy)
        await notify(deps, incident, "resolved", "resolved", incident.recipients);
      // Again on a redelivery: the scale-back step answers the first change of its key.
      await scheduleScaleBack(deps, incident);
    }
    return { incidentId: incident.id, outcome: resolvedNow ? "auto-resolved" : "alert resolved" };
  }

  const route = routeAlert(deps.policy, alert);
  const window = activeWindow(deps.policy, route.environment, alert.targets, now);
  // Adds this alert to an incident that already holds the key, in one read-modify-write: the
  // incident's own read is the one the update makes (no separate read before it). `seen` says whether
  // the alert was already applied (a redelivery), as the version the update read shows it; a resolved
  // incident is left as it is when `leaveResolved` (its key is freed and claimed afresh below).
  let seen = false;
  const join = async (id: string, leaveResolved: boolean): Promise<Incident | undefined> => {
    try {
      return await deps.incidents.updateIncident(id, (current) => {
        seen = current.appliedAlertKeys.includes(eventKey);
        if (seen || (leaveResolved && current.status === "resolved")) return undefined;
        current.appliedAlertKeys = [...current.appliedAlertKeys, eventKey].slice(
          -deps.policy.incidents.maxAlertsPerIncident,
        );
        current.alertCount += 1;
        current.lastAlertAt = now.toISOString();
        if (!current.activeAlerts.includes(alertHash))
          current.activeAlerts = [...current.activeAlerts, alertHash].slice(
            -deps.policy.incidents.maxAlertsPerIncident,
          );
        current.values = alert.values;
        return current;
      });
    } catch (error) {
      // The key is a crashed attempt's and its incident not written yet: written below.
      if (isOpsError(error) && error.code === "NotFound") return undefined;
      throw error;
    }
  };
  // A key this call has just claimed names a fresh id, which no incident has yet.
  let claimed = await deps.incidents.claimIncidentKey(dedupKey, newIncidentId(now));
  let incident = claimed.created ? undefined : await join(claimed.incidentId, true);
  if (incident?.status === "resolved") {
    // A resolved incident whose key was never freed (the release failed): free it and start afresh.
    await deps.incidents.releaseIncidentKey(dedupKey, incident.id);
    seen = false;
    claimed = await deps.incidents.claimIncidentKey(dedupKey, newIncidentId(now));
    incident = claimed.created ? undefined : await join(claimed.incidentId, false);
  }
  let opener = false;
  if (!incident) {
    seen = false;
    // The key is ours (or a crashed attempt's) and its incident not written yet: write it now.
    const fresh: Incident = incidentRecord({
      id: claimed.incidentId,
      dedupKey,
      source: "alert",
      title: `${alert.rule}${alert.targets[0] ? ` on ${lastSegment(alert.targets[0])}` : ""}`,
      description: alert.description,
      environment: route.environment,
      rule: alert.rule,
      target: alert.targets[0] ?? null,
      priority: priorityOf(alert.severity),
      // Windows opened at run time (maintenance start) are read only when an incident opens.
      suppressedBy: (window ?? (await runtimeWindow(deps.maintenance, route.environment, now)))?.name ?? null,
      openedAt: now.toISOString(),
      openedBy: `alert (${alert.monitoringService})`,
      alertCount: 1,
      activeAlerts: [alertHash],
      appliedAlertKeys: [eventKey],
      lastAlertAt: now.toISOString(),
      link: alert.link,
      values: alert.values,
      isTest: alert.isTest,
      recipients: route.recipients,
      escalationPolicy: route.escalationPolicy,
      diagnostics: {
        status: isSite(alert.targets[0]) ? "pending" : "not-applicable",
        blob: null,
        error: null,
      },
    });
    if ((await deps.incidents.createIncident(fresh)) === "created") {
      incident = fresh;
      opener = true;
    } else {
      // Written by another delivery in the meantime: add this alert to it.
      incident = await join(claimed.incidentId, false);
      if (!incident)
        throw new OpsError("Conflict", `incident ${claimed.incidentId} vanished while opening`, {
          retryable: true,
        });
    }
  }
  // Seen before: if this alert opened the incident, the opening may not have finished; redo it.
  if (!opener && seen) opener = incident.appliedAlertKeys[0] === eventKey;
  if (!opener) return { incidentId: incident.id, outcome: "added to open incident" };
  // Opening: every step below is idempotent (history events have ids, diagnostics check their blob,
  // emails have an outbox row), so a redelivered opening finishes what a failed one left undone.
  await deps.incidents.appendEvent(incident.id, {
    ...event(
      new Date(incident.openedAt),
      "opened",
      incident.openedBy,
      `${alert.rule} fired (${alert.severity ?? "no severity"})`,
    ),
    id: "opened",
  });
  if (incident.diagnostics.status === "pending")
    await deps.queue.send(queueNames.diagnostics, { incidentId: incident.id });
  await requestScaling(deps, incident, alert.alertId);
  if (incident.suppressedBy) {
    await deps.incidents.appendEvent(incident.id, {
      ...event(now, "suppressed", "system", `maintenance window "${incident.suppressedBy}": nobody paged`),
      id: "suppressed",
    });
  } else {
    await page(deps, incident);
  }
  deps.logger.info("incident opened", {
    incidentId: incident.id,
    severity: incident.priority,
    environment: incident.environment ?? "none",
  });
  return { incidentId: incident.id, outcome: "opened" };
}

async function openUnrecognized(
  deps: IncidentDeps,
  reason: string,
  fingerprint: string,
  raw: string,
): Promise<{ incidentId: string; outcome: string }> {
  const now = deps.clock.now();
  const dedupKey = `unrecognized|${fingerprint}`;
  const claimed = await deps.incidents.claimIncidentKey(dedupKey, newIncidentId(now));
  let incident = await deps.incidents.getIncident(claimed.incidentId);
  if (!incident) {
    incident = incidentRecord({
      id: claimed.incidentId,
      dedupKey,
      source: "unrecognized",
      title: "Unrecognized alert payload",
      description: `${reason}. Payload (first 500 characters): ${raw.slice(0, 500)}`,
      environment: null,
      rule: "unrecognized-payload",
      target: null,
      priority: "medium",
      openedAt: now.toISOString(),
      openedBy: "alert webhook",
      alertCount: 1,
      lastAlertAt: now.toISOString(),
      recipients: deps.policy.incidents.defaultRecipients,
    });
    if ((await deps.incidents.createIncident(incident)) !== "created") {
      incident = await deps.incidents.getIncident(claimed.incidentId);
      if (!incident)
        throw new OpsError("Conflict", `incident ${claimed.incidentId} vanished while opening`, {
          retryable: true,
        });
    }
  }
  await deps.incidents.appendEvent(incident.id, {
    ...event(new Date(incident.openedAt), "opened", incident.openedBy, reason),
    id: "opened",
  });
  // Idempotent: the outbox holds one email per incident and step.
  await notify(deps, incident, "unrecognized", "open", incident.recipients);
  return { incidentId: incident.id, outcome: "unrecognized payload reported" };
}

/** First page of a new incident: level 0 of its escalation policy, or its recipients once. */
async function page(deps: IncidentDeps, incident: Incident): Promise<void> {
  if (incident.escalationPolicy && knownName(deps.policy.escalationPolicies, incident.escalationPolicy)) {
    await runEscalationStep(deps, { incidentId: incident.id, level: 0, round: 0 });
    return;
  }
  await notifyOpening(deps, incident);
}

/** The opening email, or a place in the minute's digest when many incidents open at once. */
async function notifyOpening(deps: IncidentDeps, incident: Incident): Promise<void> {
  const minute = incident.openedAt.slice(0, 16);
  const openings = await deps.outbox.countOpening(minute, incident.id);
  const threshold = deps.policy.incidents.digestThreshold;
  if (openings <= threshold) {
    await notify(deps, incident, "opened", "open", incident.recipients);
    return;
  }
  // Past the threshold: one digest for the minute, sent once the minute is over.
  const digestId = `digest-${minute.replace(/[:T-]/g, "")}`;
  // The digest's content is rendered when it is sent, once the minute's incidents are all known.
  const record = pendingNotification(deps, {
    id: digestId,
    incidentId: "digests",
    step: `digest ${minute}`,
    to: deps.policy.incidents.defaultRecipients,
    subject: "",
    html: "",
    text: "",
  });
  const end = new Date(Date.parse(`${minute}:00Z`) + 60_000);
  const delay = Math.max(1, Math.ceil((end.getTime() - deps.clock.now().getTime()) / 1000) + 5);
  await queueOnce(deps, record, { delayInSeconds: delay });
  await deps.incidents.appendEvent(incident.id, {
    ...event(deps.clock.now(), "notified", "system", `included in the digest for ${minute} UTC`),
    id: `digest-${minute}`,
  });
}

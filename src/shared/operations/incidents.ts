import { createHash, randomBytes } from "node:crypto";
import type { NormalizedAlert } from "../alerts/model.ts";
import { normalizeAlert } from "../alerts/normalize.ts";
import {
  type AlertIntake,
  type AlertMessage,
  MAX_BATCH_JSON_BYTES,
  alertMessageBytes,
  readAlertQueueMessage,
} from "./alert-intake.ts";
import type { OpsPolicy } from "../config/policy.ts";
import { OpsError, describeError, isOpsError } from "../errors.ts";
import { activeWindow } from "../incidents/maintenance.ts";
import {
  type AlertRecord,
  type Incident,
  type IncidentEvent,
  type NotificationRecord,
  type Priority,
  priorityOf,
} from "../incidents/model.ts";
import { dedupKeyOf, routeAlert } from "../incidents/routing.ts";
import type { Logger } from "../log.ts";
import type { Clock, EmailSender } from "../ports/index.ts";
import { type IncidentStore, type WorkQueue, queueNames } from "../ports/incident-store.ts";
import { type IncidentEmailKind, renderDigestEmail, renderIncidentEmail } from "../reports/incident-email.ts";

export interface IncidentDeps {
  policy: OpsPolicy;
  store: IncidentStore;
  queue: WorkQueue;
  /** Where the webhook records deliveries: the alerts queue, a batch per moment. */
  intake: AlertIntake;
  email: EmailSender;
  clock: Clock;
  logger: Logger;
  /** Public base URL of the app, for links in emails; null when unknown. */
  apiBaseUrl: string | null;
}

/** Who did something: an operator's name from their token, or "alert"/"escalation"/"system". */
export type Actor = string;

const MAX_TRACKED = 500;
const AUTO_RESOLVED = "auto: all alerts resolved";

export function newIncidentId(now: Date): string {
  return `INC-${now.toISOString().slice(0, 10).replace(/-/g, "")}-${randomBytes(4).toString("hex")}`;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

// ---------------------------------------------------------------------------------------------
// Intake: one durable write, then 202. Everything else happens from the queue.
// ---------------------------------------------------------------------------------------------

/**
 * A delivery travels inline while its message fits a queue message on its own (see MAX_BATCH_JSON_BYTES:
 * measured as the escaped JSON, in bytes); a larger payload is kept as a blob and the message names it.
 */
export const MAX_INLINE_MESSAGE_BYTES = MAX_BATCH_JSON_BYTES;

export interface IntakeResult {
  key: string;
  recognized: boolean;
  alertId: string | null;
}

export function alertKeyOf(payload: unknown): { key: string; result: ReturnType<typeof normalizeAlert> } {
  const result = normalizeAlert(payload);
  const key =
    result.kind === "alert"
      ? sha256(`alert|${result.alert.alertId}|${result.alert.condition}`)
      : sha256(`unrecognized|${result.fingerprint}`);
  return { key, result };
}

/**
 * Records one delivery of the action group webhook: the payload goes on the alerts queue (a durable
 * write: once it is there, the alert cannot be lost), batched with the deliveries arriving at the same
 * moment. Duplicates are sorted out by the processor, on the key of alert id and condition, so a
 * retried delivery costs the webhook no extra read.
 */
export type { AlertBatch, AlertMessage } from "./alert-intake.ts";

export async function receiveAlert(deps: IncidentDeps, payload: unknown, raw: string): Promise<IntakeResult> {
  const { key, result } = alertKeyOf(payload);
  const inline: AlertMessage = { key, raw };
  const message: AlertMessage =
    alertMessageBytes(inline) <= MAX_INLINE_MESSAGE_BYTES
      ? inline
      : { key, blob: await deps.store.savePayload(key, raw) };
  await deps.intake.record(message);
  return {
    key,
    recognized: result.kind === "alert",
    alertId: result.kind === "alert" ? result.alert.alertId : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Processing: alerts into incidents. Every step is safe to repeat: a message that fails half-way is
// delivered again and finishes the job without doing any part of it twice.
// ---------------------------------------------------------------------------------------------

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
  const outcomes: Record<string, number> = {};
  const failures: { delivery: string; error: unknown }[] = rejected.map((r) => ({
    delivery: `#${r.index}`,
    error: new OpsError("BadRequest", `delivery #${r.index} of the message is malformed (${r.issues})`),
  }));
  for (const message of alerts) {
    try {
      const { outcome } = await processAlert(deps, message);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    } catch (error) {
      failures.push({ delivery: message.key.slice(0, 16), error });
    }
  }
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

export async function processAlert(
  deps: IncidentDeps,
  message: AlertMessage,
): Promise<{ incidentId: string | null; outcome: string }> {
  const raw = message.raw ?? (message.blob ? await deps.store.readPayload(message.blob) : undefined);
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
  if ((await deps.store.insertAlert(record)) === "exists") {
    const existing = await deps.store.getAlert(key);
    if (existing?.status === "processed") return { incidentId: existing.incidentId, outcome: "duplicate" };
  }
  const outcome = record.alert
    ? await applyAlert(deps, record.alert, key)
    : await openUnrecognized(
        deps,
        record.unrecognized?.reason ?? "unrecognized payload",
        record.unrecognized?.fingerprint ?? key,
        raw,
      );
  await deps.store.markAlertProcessed(key, outcome.incidentId);
  return outcome;
}

async function applyAlert(
  deps: IncidentDeps,
  alert: NormalizedAlert,
  key: string,
): Promise<{ incidentId: string | null; outcome: string }> {
  const { store, clock } = deps;
  const now = clock.now();
  const dedupKey = dedupKeyOf(alert);
  const alertHash = sha256(alert.alertId).slice(0, 16);
  const eventKey = key.slice(0, 16);

  if (alert.condition === "resolved") {
    const openId = await store.findIncidentKey(dedupKey);
    if (!openId) return { incidentId: null, outcome: "resolution without an open incident" };
    let resolvedNow = false;
    const incident = await store.updateIncident(openId, (current) => {
      if (current.appliedAlertKeys.includes(eventKey)) return undefined;
      current.appliedAlertKeys = [...current.appliedAlertKeys, eventKey].slice(-MAX_TRACKED);
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
        await store.appendEvent(incident.id, {
          ...event(
            new Date(incident.resolvedAt ?? now.toISOString()),
            "auto-resolved",
            "system",
            "every alert of the incident is resolved",
          ),
          id: "auto-resolved",
        });
      await store.releaseIncidentKey(dedupKey, incident.id);
      if (incident.resolvedBy === AUTO_RESOLVED && !incident.suppressedBy)
        await notify(deps, incident, "resolved", "resolved", incident.recipients);
    }
    return { incidentId: incident.id, outcome: resolvedNow ? "auto-resolved" : "alert resolved" };
  }

  const route = routeAlert(deps.policy, alert);
  const window = activeWindow(deps.policy, route.environment, alert.targets, now);
  let claimed = await store.claimIncidentKey(dedupKey, newIncidentId(now));
  let incident = await store.getIncident(claimed.incidentId);
  if (incident?.status === "resolved") {
    // A resolved incident whose key was never freed (the release failed): free it and start afresh.
    await store.releaseIncidentKey(dedupKey, incident.id);
    claimed = await store.claimIncidentKey(dedupKey, newIncidentId(now));
    incident = await store.getIncident(claimed.incidentId);
  }
  let opener = false;
  if (!incident) {
    // The key is ours (or a crashed attempt's) and its incident not written yet: write it now.
    const fresh: Incident = {
      id: claimed.incidentId,
      dedupKey,
      source: "alert",
      title: `${alert.rule}${alert.targets[0] ? ` on ${lastSegment(alert.targets[0])}` : ""}`,
      description: alert.description,
      environment: route.environment,
      rule: alert.rule,
      target: alert.targets[0] ?? null,
      priority: priorityOf(alert.severity),
      status: "open",
      suppressedBy: window?.name ?? null,
      openedAt: now.toISOString(),
      openedBy: `alert (${alert.monitoringService})`,
      acknowledgedAt: null,
      acknowledgedBy: null,
      resolvedAt: null,
      resolvedBy: null,
      alertCount: 1,
      activeAlerts: [alertHash],
      appliedAlertKeys: [eventKey],
      lastAlertAt: now.toISOString(),
      link: alert.link,
      values: alert.values,
      isTest: alert.isTest,
      recipients: route.recipients,
      escalationPolicy: route.escalationPolicy,
      escalation: null,
      diagnostics: {
        status: isSite(alert.targets[0]) ? "pending" : "not-applicable",
        blob: null,
        error: null,
      },
    };
    if ((await store.createIncident(fresh)) === "created") {
      incident = fresh;
      opener = true;
    } else {
      incident = await store.getIncident(claimed.incidentId);
      if (!incident)
        throw new OpsError("Conflict", `incident ${claimed.incidentId} vanished while opening`, {
          retryable: true,
        });
    }
  }
  if (!opener) {
    if (incident.appliedAlertKeys.includes(eventKey)) {
      // Seen before: if this alert opened the incident, the opening may not have finished; redo it.
      opener = incident.appliedAlertKeys[0] === eventKey;
    } else {
      incident = await store.updateIncident(incident.id, (current) => {
        if (current.appliedAlertKeys.includes(eventKey)) return undefined;
        current.appliedAlertKeys = [...current.appliedAlertKeys, eventKey].slice(-MAX_TRACKED);
        current.alertCount += 1;
        current.lastAlertAt = now.toISOString();
        if (!current.activeAlerts.includes(alertHash))
          current.activeAlerts = [...current.activeAlerts, alertHash].slice(-MAX_TRACKED);
        current.values = alert.values;
        return current;
      });
    }
  }
  if (!opener) return { incidentId: incident.id, outcome: "added to open incident" };
  // Opening: every step below is idempotent (history events have ids, diagnostics check their blob,
  // emails have an outbox row), so a redelivered opening finishes what a failed one left undone.
  await store.appendEvent(incident.id, {
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
  if (incident.suppressedBy) {
    await store.appendEvent(incident.id, {
      ...event(now, "suppressed", "system", `maintenance window "${incident.suppressedBy}": nobody paged`),
      id: "suppressed",
    });
  } else {
    await page(deps, incident);
  }
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
  const claimed = await deps.store.claimIncidentKey(dedupKey, newIncidentId(now));
  let incident = await deps.store.getIncident(claimed.incidentId);
  if (!incident) {
    incident = {
      id: claimed.incidentId,
      dedupKey,
      source: "unrecognized",
      title: "Unrecognized alert payload",
      description: `${reason}. Payload (first 500 characters): ${raw.slice(0, 500)}`,
      environment: null,
      rule: "unrecognized-payload",
      target: null,
      priority: "medium",
      status: "open",
      suppressedBy: null,
      openedAt: now.toISOString(),
      openedBy: "alert webhook",
      acknowledgedAt: null,
      acknowledgedBy: null,
      resolvedAt: null,
      resolvedBy: null,
      alertCount: 1,
      activeAlerts: [],
      appliedAlertKeys: [],
      lastAlertAt: now.toISOString(),
      link: null,
      values: [],
      isTest: false,
      recipients: deps.policy.incidents.defaultRecipients,
      escalationPolicy: null,
      escalation: null,
      diagnostics: { status: "not-applicable", blob: null, error: null },
    };
    if ((await deps.store.createIncident(incident)) !== "created") {
      incident = await deps.store.getIncident(claimed.incidentId);
      if (!incident)
        throw new OpsError("Conflict", `incident ${claimed.incidentId} vanished while opening`, {
          retryable: true,
        });
    }
  }
  await deps.store.appendEvent(incident.id, {
    ...event(new Date(incident.openedAt), "opened", incident.openedBy, reason),
    id: "opened",
  });
  // Idempotent: the outbox holds one email per incident and step.
  await notify(deps, incident, "unrecognized", "open", incident.recipients);
  return { incidentId: incident.id, outcome: "unrecognized payload reported" };
}

/** First page of a new incident: level 0 of its escalation policy, or its recipients once. */
async function page(deps: IncidentDeps, incident: Incident): Promise<void> {
  if (incident.escalationPolicy && deps.policy.escalationPolicies[incident.escalationPolicy]) {
    await runEscalationStep(deps, { incidentId: incident.id, level: 0, round: 0 });
    return;
  }
  await notifyOpening(deps, incident);
}

/** The opening email, or a place in the minute's digest when many incidents open at once. */
async function notifyOpening(deps: IncidentDeps, incident: Incident): Promise<void> {
  const minute = incident.openedAt.slice(0, 16);
  const openings = await deps.store.countOpening(minute, incident.id);
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
  await deps.store.appendEvent(incident.id, {
    ...event(deps.clock.now(), "notified", "system", `included in the digest for ${minute} UTC`),
    id: `digest-${minute}`,
  });
}

// ---------------------------------------------------------------------------------------------
// Escalation: each step is a queue message made visible when the previous level's time is up.
// ---------------------------------------------------------------------------------------------

export interface EscalationStep {
  incidentId: string;
  level: number;
  round: number;
}

export async function runEscalationStep(deps: IncidentDeps, step: EscalationStep): Promise<string> {
  const incident = await deps.store.getIncident(step.incidentId);
  if (!incident) return "no such incident";
  if (incident.status !== "open") return `stopped: incident is ${incident.status}`;
  if (incident.suppressedBy) return "stopped: suppressed by a maintenance window";
  const policy = incident.escalationPolicy
    ? deps.policy.escalationPolicies[incident.escalationPolicy]
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
    await deps.store.appendEvent(incident.id, {
      ...event(now, "escalated", "escalation", `${label}: ${level.recipients.join(", ")}`),
      id: `escalated-${step.round}-${step.level}`,
    });
  }
  const updated = await deps.store.updateIncident(incident.id, (current) => {
    if (current.status !== "open") return undefined;
    if (current.escalation && stepOrder(current.escalation) >= stepOrder(step)) return undefined;
    current.escalation = { level: step.level, round: step.round, nextAt };
    return current;
  });
  if (updated.status !== "open") return `paged ${label}; incident is now ${updated.status}`;
  return `notified ${label}`;
}

// ---------------------------------------------------------------------------------------------
// Notifications: an outbox row first, then a queue message; delivery retried until accepted.
// ---------------------------------------------------------------------------------------------

async function notify(
  deps: IncidentDeps,
  incident: Incident,
  kind: IncidentEmailKind,
  step: string,
  to: string[],
  label?: string,
): Promise<void> {
  const id = `${incident.id}-${step}`;
  const { subject, html, text } = renderIncidentEmail(incident, {
    kind,
    step: label,
    apiBaseUrl: deps.apiBaseUrl,
  });
  const record = pendingNotification(deps, {
    id,
    incidentId: incident.id,
    step: label ?? step,
    to,
    subject,
    html,
    text,
  });

  // One email per incident per step, whatever is retried or redelivered around it.
  if (!(await queueOnce(deps, record))) return;
  await deps.store.appendEvent(
    incident.id,
    event(deps.clock.now(), "notified", "system", `${label ?? step}: ${to.join(", ")}`),
  );
}

function pendingNotification(
  deps: IncidentDeps,
  fields: Pick<NotificationRecord, "id" | "incidentId" | "step" | "to" | "subject" | "html" | "text">,
): NotificationRecord {
  return {
    ...fields,
    status: "pending",
    queuedAt: null,
    attempts: 0,
    lastError: null,
    createdAt: deps.clock.now().toISOString(),
    sentAt: null,
  };
}

/**
 * Writes the outbox row and queues its delivery, once. A row that exists but was never queued (a
 * failure came in between) is queued now; one already queued is left alone. True when newly written.
 */
async function queueOnce(
  deps: IncidentDeps,
  record: NotificationRecord,
  options: { delayInSeconds?: number } = {},
): Promise<boolean> {
  const inserted = (await deps.store.insertNotification(record)) === "inserted";
  if (!inserted) {
    const existing = await deps.store.getNotification(record.incidentId, record.id);
    if (!existing || existing.status !== "pending" || existing.queuedAt) return false;
  }
  await deps.queue.send(
    queueNames.notifications,
    { incidentId: record.incidentId, notificationId: record.id },
    options,
  );
  await deps.store.updateNotification(record.incidentId, record.id, {
    queuedAt: deps.clock.now().toISOString(),
  });
  return inserted;
}

export interface NotificationMessage {
  incidentId: string;
  notificationId: string;
}

export async function deliverNotification(deps: IncidentDeps, message: NotificationMessage): Promise<string> {
  const record = await deps.store.getNotification(message.incidentId, message.notificationId);
  if (!record) return "no such notification";
  if (record.status === "sent") return "already sent";
  const now = deps.clock.now();
  const limits = deps.policy.incidents;
  const allowance = await deps.store.takeEmailAllowance(
    now,
    limits.maxEmailsPerMinute,
    limits.maxEmailsPerHour,
  );
  if (!allowance.allowed) {
    await deps.queue.send(queueNames.notifications, message, { delayInSeconds: allowance.retryAfterSeconds });
    return `deferred ${allowance.retryAfterSeconds}s by the email limits`;
  }
  let content = { subject: record.subject, html: record.html, text: record.text };
  if (record.incidentId === "digests") {
    const minute = record.step.replace("digest ", "");
    const from = `${minute}:00.000Z`;
    const to = new Date(Date.parse(`${minute}:00Z`) + 60_000).toISOString();
    content = renderDigestEmail(
      await deps.store.listIncidentsOpenedBetween(from, to),
      minute,
      deps.apiBaseUrl,
    );
  }
  try {
    await deps.email.send({ to: record.to, ...content, idempotencyKey: `${record.incidentId}|${record.id}` });
  } catch (error) {
    const attempts = record.attempts + 1;
    // Back off up to an hour and keep trying: the email service's outage must not lose a page.
    const delay = Math.min(3600, 5 * 2 ** Math.min(attempts, 10));
    await deps.store.updateNotification(record.incidentId, record.id, {
      attempts,
      lastError: describeError(error),
    });
    await deps.queue.send(queueNames.notifications, message, { delayInSeconds: delay });
    deps.logger.warn("notification not delivered yet", {
      notificationId: record.id,
      attempts,
      retryInSeconds: delay,
      error: describeError(error),
    });
    return `failed, retry in ${delay}s`;
  }
  await deps.store.updateNotification(record.incidentId, record.id, {
    status: "sent",
    sentAt: now.toISOString(),
    attempts: record.attempts + 1,
    lastError: null,
  });
  return "sent";
}

// ---------------------------------------------------------------------------------------------
// Operators.
// ---------------------------------------------------------------------------------------------

export async function acknowledgeIncident(
  deps: IncidentDeps,
  id: string,
  by: Actor,
  note?: string,
): Promise<Incident> {
  const now = deps.clock.now();
  const incident = await deps.store.updateIncident(id, (current) => {
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
  await deps.store.appendEvent(id, event(now, "acknowledged", by, note ?? "escalation stopped"));
  return incident;
}

export async function resolveIncident(
  deps: IncidentDeps,
  id: string,
  by: Actor,
  note?: string,
): Promise<Incident> {
  const now = deps.clock.now();
  const current = await deps.store.getIncident(id);
  if (!current) throw new OpsError("NotFound", `no incident ${id}`);
  if (current.status === "resolved") {
    // Finish a release that failed before, then say it is done already.
    await deps.store.releaseIncidentKey(current.dedupKey, current.id);
    throw new OpsError("Conflict", `incident ${id} is already resolved`);
  }
  const incident = await deps.store.updateIncident(id, (latest) => {
    if (latest.status === "resolved") throw new OpsError("Conflict", `incident ${id} is already resolved`);
    latest.status = "resolved";
    latest.resolvedAt = now.toISOString();
    latest.resolvedBy = by;
    if (latest.escalation) latest.escalation = { ...latest.escalation, nextAt: null };
    return latest;
  });
  await deps.store.releaseIncidentKey(incident.dedupKey, incident.id);
  await deps.store.appendEvent(id, event(now, "resolved", by, note ?? "resolved by an operator"));
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
  const env = request.environment ? deps.policy.environments[request.environment] : undefined;
  if (request.environment && !env) {
    throw new OpsError("BadRequest", `unknown environment "${request.environment}"`, {
      details: { field: "environment" },
    });
  }
  const id = newIncidentId(now);
  const incident: Incident = {
    id,
    dedupKey: `manual|${id}`,
    source: "manual",
    title: request.title,
    description: request.description ?? null,
    environment: request.environment ?? null,
    rule: "manual",
    target: null,
    priority: request.priority,
    status: "open",
    suppressedBy: null,
    openedAt: now.toISOString(),
    openedBy: by,
    acknowledgedAt: null,
    acknowledgedBy: null,
    resolvedAt: null,
    resolvedBy: null,
    alertCount: 0,
    activeAlerts: [],
    appliedAlertKeys: [],
    lastAlertAt: null,
    link: null,
    values: [],
    isTest: false,
    recipients: env?.recipients ?? deps.policy.incidents.defaultRecipients,
    escalationPolicy: null,
    escalation: null,
    diagnostics: { status: "not-applicable", blob: null, error: null },
  };
  await deps.store.claimIncidentKey(incident.dedupKey, id);
  await deps.store.createIncident(incident);
  await deps.store.appendEvent(
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
  const incident = await deps.store.getIncident(id);
  if (!incident) throw new OpsError("NotFound", `no incident ${id}`);
  const history = (await deps.store.listEvents(id)).sort((a, b) => a.at.localeCompare(b.at));
  return { incident, history };
}

function stepOrder(step: { level: number; round: number }): number {
  return step.round * 1000 + step.level;
}

function event(at: Date, type: string, by: string, detail: string): IncidentEvent {
  return { at: at.toISOString(), type, by, detail };
}

function lastSegment(id: string): string {
  return id.split("/").filter(Boolean).pop() ?? id;
}

function isSite(id: string | undefined): boolean {
  return id !== undefined && /\/providers\/microsoft\.web\/sites\/[^/]+$/i.test(id);
}

import { describeError } from "../../errors.ts";
import { type Incident, type NotificationRecord } from "../../incidents/model.ts";
import { queueNames } from "../../ports/work-queue.ts";
import { type IncidentEmailKind, renderDigestEmail, renderIncidentEmail } from "./email.ts";
import { type IncidentDeps, event } from "./common.ts";

/*
 * Notifications: an outbox row first, then a queue message; delivery retried until accepted.
 */

export async function notify(
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
  await deps.incidents.appendEvent(
    incident.id,
    event(deps.clock.now(), "notified", "system", `${label ?? step}: ${to.join(", ")}`),
  );
}

export function pendingNotification(
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
export async function queueOnce(
  deps: IncidentDeps,
  record: NotificationRecord,
  options: { delayInSeconds?: number } = {},
): Promise<boolean> {
  const inserted = (await deps.outbox.insertNotification(record)) === "inserted";
  if (!inserted) {
    const existing = await deps.outbox.getNotification(record.incidentId, record.id);
    if (!existing || existing.status !== "pending" || existing.queuedAt) return false;
  }
  await deps.queue.send(
    queueNames.notifications,
    { incidentId: record.incidentId, notificationId: record.id },
    options,
  );
  await deps.outbox.updateNotification(record.incidentId, record.id, {
    queuedAt: deps.clock.now().toISOString(),
  });
  return inserted;
}

export interface NotificationMessage {
  incidentId: string;
  notificationId: string;
}

export async function deliverNotification(deps: IncidentDeps, message: NotificationMessage): Promise<string> {
  const record = await deps.outbox.getNotification(message.incidentId, message.notificationId);
  if (!record) return "no such notification";
  if (record.status === "sent") return "already sent";
  const now = deps.clock.now();
  const limits = deps.policy.incidents;
  const allowance = await deps.outbox.takeEmailAllowance(
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
      await deps.incidents.listIncidentsOpenedBetween(from, to),
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
    await deps.outbox.updateNotification(record.incidentId, record.id, {
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
  await deps.outbox.updateNotification(record.incidentId, record.id, {
    status: "sent",
    sentAt: now.toISOString(),
    attempts: record.attempts + 1,
    lastError: null,
  });
  return "sent";
}

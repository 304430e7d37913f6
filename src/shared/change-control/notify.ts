import type { OpsPolicy } from "../config/policy.ts";
import type { NotificationRecord } from "../incidents/model.ts";
import { knownName } from "../names.ts";
import type { NotificationOutbox } from "../ports/notification-outbox.ts";
import type { Clock } from "../ports/clock.ts";
import { type WorkQueue, queueNames } from "../ports/work-queue.ts";
import { escapeHtml, oneLine } from "../render/escape.ts";
import type { ChangeRecord } from "./model.ts";

export interface ChangeNotifyDeps {
  outbox: NotificationOutbox;
  queue: WorkQueue;
  clock: Clock;
  policy: OpsPolicy;
  apiBaseUrl: string | null;
}

const worthTelling = new Set(["succeeded", "failed", "blocked"]);
/** Blocks that only say "not now": the audit trail and the incident keep them; a storm would email each. */
const routineBlocks = new Set(["cooldown", "rate-limit", "lease"]);

/**
 * Tells the environment's recipients what a change did (made, failed, or held by a freeze, a cap or a
 * changed resource), through the same outbox as incident emails:
 * a row per (change, outcome) before it is queued, so a retried change sends one email. Dry runs and
 * changes that found nothing to do are not worth an email; the audit trail keeps them.
 */
export async function notifyChange(deps: ChangeNotifyDeps, record: ChangeRecord): Promise<void> {
  if (record.dryRun || !worthTelling.has(record.status)) return;
  if (record.status === "blocked" && routineBlocks.has(record.blockedBy?.rule ?? "")) return;
  const env = knownName(deps.policy.environments, record.environment);
  const to = env?.recipients ?? deps.policy.incidents.defaultRecipients;
  const { subject, html, text } = renderChangeEmail(record, deps.apiBaseUrl);
  // The outbox is partitioned by its subject: an incident's id, or here the change's.
  const notification: NotificationRecord = {
    id: `${record.id}-${record.status}`,
    incidentId: record.id,
    step: `change ${record.status}`,
    to,
    subject,
    html,
    text,
    status: "pending",
    queuedAt: null,
    attempts: 0,
    lastError: null,
    createdAt: deps.clock.now().toISOString(),
    sentAt: null,
  };
  if ((await deps.outbox.insertNotification(notification)) === "exists") {
    const existing = await deps.outbox.getNotification(notification.incidentId, notification.id);
    if (!existing || existing.status !== "pending" || existing.queuedAt) return;
  }
  await deps.queue.send(queueNames.notifications, {
    incidentId: notification.incidentId,
    notificationId: notification.id,
  });
  await deps.outbox.updateNotification(notification.incidentId, notification.id, {
    queuedAt: deps.clock.now().toISOString(),
  });
}

export function renderChangeEmail(
  record: ChangeRecord,
  apiBaseUrl: string | null,
): { subject: string; html: string; text: string } {
  const outcome = record.status.toUpperCase();
  const subject = oneLine(`[Phoenix Ops] Change ${outcome}: ${record.summary} (${record.environment})`);
  const facts: [string, string][] = [
    ["Change id", record.id],
    ["Result", record.status],
    ["Change", record.summary],
    ["Resource", record.resourceId],
    ["Environment", record.environment],
    ["Requested by", `${record.requestedBy.name} (${record.requestedBy.kind})`],
    ["Reason", record.reason],
  ];
  if (record.requestedBy.incidentId) facts.push(["Incident", record.requestedBy.incidentId]);
  if (record.forced) facts.push(["Forced through a freeze", record.forced.reason]);
  if (record.blockedBy) facts.push(["Blocked by", `${record.blockedBy.rule}: ${record.blockedBy.detail}`]);
  if (record.error) facts.push(["Error", record.error]);
  const link = apiBaseUrl ? `${apiBaseUrl}/api/changes/${encodeURIComponent(record.id)}` : null;
  const text = `${facts.map(([k, v]) => `${k}: ${v}`).join("\n")}\n${
    link ? `\nDetails: ${link}\n` : ""
  }\nphoenix-ops changes show ${record.id}\n`;
  const rows = facts
    .map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join("");
  const html = `<!doctype html><html><body><h2>${escapeHtml(subject)}</h2><table>${rows}</table>${
    link ? `<p><a href="${escapeHtml(link)}">Details</a></p>` : ""
  }<p><code>phoenix-ops changes show ${escapeHtml(record.id)}</code></p></body></html>`;
  return { subject, html, text };
}

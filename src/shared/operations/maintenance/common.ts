import { randomBytes } from "node:crypto";
import { normalizeId } from "../../azure-ids.ts";
import type { ChangeRecord } from "../../change-control/model.ts";
import type { ComponentPolicy, EnvironmentPolicy, OpsPolicy } from "../../config/policy.ts";
import { OpsError } from "../../errors.ts";
import { sha256 } from "../../hashing.ts";
import type { Incident, NotificationRecord, Priority } from "../../incidents/model.ts";
import type { Ports } from "../../ports/catalogue.ts";
import { type SlotState, productionSlot, siteIdOf } from "../../ports/web-app-slots.ts";
import { queueNames } from "../../ports/work-queue.ts";
import type { RunContext } from "../../procedures/declaration.ts";
import { escapeHtml, oneLine } from "../../render/escape.ts";
import { event, incidentRecord, newIncidentId } from "../incidents/common.ts";
import { notify } from "../incidents/notifications.ts";
import { environmentOf } from "../scaling/operation.ts";

/** The ports every maintenance procedure may use; each declares the ones it needs from these. */
export type MaintenancePorts = Pick<
  Ports,
  | "slots"
  | "maintenance"
  | "releases"
  | "probe"
  | "metrics"
  | "changes"
  | "incidents"
  | "alerts"
  | "outbox"
  | "diagnostics"
  | "queue"
  | "alertIntake"
  | "email"
>;

export const versionSetting = "APP_VERSION";
export const packageSetting = "WEBSITE_RUN_FROM_PACKAGE";
export const warmupPathSetting = "WEBSITE_SWAP_WARMUP_PING_PATH";
export const warmupStatusesSetting = "WEBSITE_SWAP_WARMUP_PING_STATUSES";

/** A web app of the policy, found by its name and resource group: the environment, ids and URLs. */
export interface SiteTarget {
  environmentName: string;
  environment: EnvironmentPolicy;
  subscriptionId: string;
  resourceGroup: string;
  siteName: string;
  siteId: string;
  /** The policy's component for the site, when it is one (its health URL, its kind). */
  component: { name: string; policy: Extract<ComponentPolicy, { kind: "webapp" | "api" }> } | undefined;
}

export function siteTarget(policy: OpsPolicy, name: string, resourceGroup: string): SiteTarget {
  const { name: environmentName, environment } = environmentOf(policy, undefined, resourceGroup);
  const siteId = siteIdOf(environment.subscriptionId, environment.resourceGroup, name);
  const found = Object.entries(environment.components).find(
    ([, c]) => c.kind !== "database" && normalizeId(c.resourceId) === normalizeId(siteId),
  );
  return {
    environmentName,
    environment,
    subscriptionId: environment.subscriptionId,
    resourceGroup: environment.resourceGroup,
    siteName: name,
    siteId,
    component: found && found[1].kind !== "database" ? { name: found[0], policy: found[1] } : undefined,
  };
}

/** The version a slot runs: its APP_VERSION, else the version in its package's file name. */
export function versionOf(slot: Pick<SlotState, "appSettings">): string | null {
  const explicit = slot.appSettings[versionSetting];
  if (explicit) return explicit;
  return versionOfPackage(packageOf(slot));
}

export function versionOfPackage(pkg: string | null): string | null {
  if (!pkg) return null;
  const file = pkg.split("?")[0]?.split("/").pop() ?? "";
  return (
    /-(\d+\.\d+\.\d+[\w.+-]*?)\.zip$/i.exec(file)?.[1] ?? /@sha256:([0-9a-f]{12})/.exec(pkg)?.[1] ?? null
  );
}

/** The immutable artifact a slot runs from, when it is a URL (not "1", a package deployed in place). */
export function packageOf(slot: Pick<SlotState, "appSettings">): string | null {
  const value = slot.appSettings[packageSetting];
  // A SAS token in the URL is a secret: the audit trail and the ledger keep the blob's address only.
  return value && /^https?:\/\//i.test(value) ? (value.split("?")[0] ?? value) : null;
}

/**
 * A slot's URL from its site's: App Service names a slot's host `{site}-{slot}`, so the site's name in
 * the health URL (its host in Azure, its path on the local estate) becomes the slot's.
 */
export function slotUrl(healthUrl: string, siteName: string, slot: string): string {
  if (slot.toLowerCase() === productionSlot) return healthUrl;
  const url = new URL(healthUrl);
  const replace = (text: string) =>
    text.replace(new RegExp(`(^|[./])${escapeRegExp(siteName)}(?=[./]|$)`, "i"), `$1${siteName}-${slot}`);
  const host = replace(url.host);
  if (host !== url.host) url.host = host;
  else url.pathname = replace(url.pathname);
  return url.toString();
}

export function versionUrl(healthUrl: string, versionPath: string): string {
  return new URL(versionPath, healthUrl).toString();
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export function newWindowId(now: Date): string {
  return `MW-${now.toISOString().slice(0, 10).replace(/-/g, "")}-${randomBytes(4).toString("hex")}`;
}

/**
 * A step of maintenance that changes no resource (a window opened or closed, a verification) kept in
 * the audit trail beside the changes, so `changes list` shows every step. Written once per key.
 */
export async function auditStep(
  ports: Pick<Ports, "changes">,
  context: RunContext,
  step: {
    key: string;
    procedure: string;
    environment: string;
    resourceId: string;
    action: string;
    summary: string;
    reason: string;
    status?: "succeeded" | "failed";
    error?: string;
    after?: unknown;
  },
): Promise<ChangeRecord> {
  const now = context.clock.now().toISOString();
  const record: ChangeRecord = {
    id: `CHG-${now.slice(0, 10).replace(/-/g, "")}-${randomBytes(4).toString("hex")}`,
    key: step.key,
    requestHash: sha256(step.key),
    procedure: step.procedure,
    environment: step.environment,
    resourceId: step.resourceId,
    action: step.action,
    reason: step.reason,
    requestedBy: { kind: requesterKind(context), name: context.actor },
    dryRun: false,
    forced: null,
    status: step.status ?? "succeeded",
    summary: step.summary,
    before: null,
    after: step.after ?? null,
    observed: null,
    blockedBy: null,
    error: step.error ?? null,
    createdAt: now,
    startedAt: now,
    finishedAt: now,
  };
  const { created, record: held } = await ports.changes.claim(record, { abortSignal: context.abortSignal });
  if (created) {
    await ports.changes.appendEvent(
      held.id,
      { at: now, step: held.status, detail: step.summary },
      { abortSignal: context.abortSignal },
    );
  }
  return held;
}

function requesterKind(context: RunContext): "operator" | "timer" | "system" {
  if (context.trigger === "timer") return "timer";
  if (context.trigger === "queue") return "system";
  return "operator";
}

/** Tells an environment's recipients something once per id (an outbox row, then the email queue). */
export async function tellTeam(
  ports: Pick<Ports, "outbox" | "queue">,
  context: RunContext,
  message: { id: string; subject: string; facts: [string, string][]; to: string[] },
): Promise<void> {
  const subject = oneLine(`[Phoenix Ops] ${message.subject}`);
  const text = `${message.facts.map(([k, v]) => `${k}: ${v}`).join("\n")}\n`;
  const rows = message.facts
    .map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join("");
  const notification: NotificationRecord = {
    id: message.id,
    incidentId: message.id.split("|")[0] ?? message.id,
    step: "maintenance",
    to: message.to,
    subject,
    html: `<!doctype html><html><body><h2>${escapeHtml(subject)}</h2><table>${rows}</table></body></html>`,
    text,
    status: "pending",
    queuedAt: null,
    attempts: 0,
    lastError: null,
    createdAt: context.clock.now().toISOString(),
    sentAt: null,
  };
  if ((await ports.outbox.insertNotification(notification)) === "exists") {
    const existing = await ports.outbox.getNotification(notification.incidentId, notification.id);
    if (!existing || existing.status !== "pending" || existing.queuedAt) return;
  }
  await ports.queue.send(queueNames.notifications, {
    incidentId: notification.incidentId,
    notificationId: notification.id,
  });
  await ports.outbox.updateNotification(notification.incidentId, notification.id, {
    queuedAt: context.clock.now().toISOString(),
  });
}

/**
 * Opens (once per key) an incident for what maintenance found, and pages the environment's
 * recipients. A redelivery finds the incident its key already holds and adds nothing.
 */
export async function openMaintenanceIncident(
  ports: MaintenancePorts,
  context: RunContext,
  request: {
    key: string;
    title: string;
    description: string;
    environment: string;
    target: string;
    priority: Priority;
    history: string[];
  },
): Promise<Incident> {
  const now = context.clock.now();
  const deps = {
    ...ports,
    policy: context.policy,
    clock: context.clock,
    logger: context.logger,
    apiBaseUrl: context.apiBaseUrl,
  };
  const claimed = await ports.incidents.claimIncidentKey(request.key, newIncidentId(now));
  const existing = claimed.created ? undefined : await ports.incidents.getIncident(claimed.incidentId);
  if (existing) return existing;
  const env = context.policy.environments[request.environment];
  const incident = incidentRecord({
    id: claimed.incidentId,
    dedupKey: request.key,
    source: "manual",
    title: request.title,
    description: request.description,
    environment: request.environment,
    rule: "maintenance",
    target: request.target,
    priority: request.priority,
    openedAt: now.toISOString(),
    openedBy: "maintenance",
    recipients: env?.recipients ?? context.policy.incidents.defaultRecipients,
  });
  await ports.incidents.createIncident(incident);
  await ports.incidents.appendEvent(incident.id, event(now, "opened", "maintenance", request.description));
  for (const [index, line] of request.history.entries()) {
    await ports.incidents.appendEvent(incident.id, {
      ...event(now, "maintenance", "maintenance", line),
      id: `maintenance-${index}`,
    });
  }
  await notify(deps, incident, "opened", "open", incident.recipients);
  return incident;
}

export function badRequest(message: string, field: string): OpsError {
  return new OpsError("BadRequest", message, { details: { field } });
}

import type { AlertSeverity, AlertValue, NormalizedAlert } from "../alerts/model.ts";

export const priorities = ["critical", "high", "medium", "low", "info"] as const;
export type Priority = (typeof priorities)[number];

/** Azure Monitor's Sev0..Sev4, as the guide's incident-response.sh speaks of severities. */
export const priorityOfSeverity: Record<AlertSeverity, Priority> = {
  Sev0: "critical",
  Sev1: "high",
  Sev2: "medium",
  Sev3: "low",
  Sev4: "info",
};

export function priorityOf(severity: AlertSeverity | null): Priority {
  return severity ? priorityOfSeverity[severity] : "medium";
}

export type IncidentStatus = "open" | "acknowledged" | "resolved";

export interface Incident {
  id: string;
  /** Alerts with the same key (rule + target resource) group into one open incident. */
  dedupKey: string;
  source: "alert" | "manual" | "unrecognized";
  title: string;
  description: string | null;
  environment: string | null;
  rule: string;
  target: string | null;
  priority: Priority;
  status: IncidentStatus;
  /** Opened inside a maintenance window: recorded, nobody paged. */
  suppressedBy: string | null;
  openedAt: string;
  openedBy: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  /** Distinct alert events (fires and resolutions) that reached this incident. */
  alertCount: number;
  /** Hashed ids of alerts that fired and are not resolved yet. */
  activeAlerts: string[];
  /** Hashed keys of the alert events already applied: redelivery never counts twice. */
  appliedAlertKeys: string[];
  lastAlertAt: string | null;
  link: string | null;
  values: AlertValue[];
  isTest: boolean;
  recipients: string[];
  escalationPolicy: string | null;
  escalation: { level: number; round: number; nextAt: string | null } | null;
  diagnostics: {
    status: "pending" | "collected" | "failed" | "not-applicable";
    blob: string | null;
    error: string | null;
  };
}

export interface IncidentEvent {
  /**
   * Set on events written by steps that may run again (a redelivered message): the history keeps the
   * first event of that id and ignores the rest.
   */
  id?: string;
  at: string;
  /** "opened", "alert", "acknowledged", "resolved", "auto-resolved", "notified", "escalated", "suppressed", ... */
  type: string;
  by: string;
  detail: string;
}

export interface AlertRecord {
  /** sha256 of alert id and condition: the idempotency key of one delivery. */
  key: string;
  receivedAt: string;
  status: "received" | "processed";
  alert: NormalizedAlert | null;
  unrecognized: { reason: string; fingerprint: string } | null;
  /** The payload as received, kept for audit (capped). */
  raw: string;
  incidentId: string | null;
}

export interface NotificationRecord {
  id: string;
  incidentId: string;
  /** "open", "escalation 1/2", "resolved", "digest", ... */
  step: string;
  to: string[];
  subject: string;
  html: string;
  text: string;
  status: "pending" | "sent";
  /** When its delivery was put on the queue; null means a failure came in between and it must be queued. */
  queuedAt: string | null;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

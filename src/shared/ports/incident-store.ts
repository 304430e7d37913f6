import type { AlertRecord, Incident, IncidentEvent, NotificationRecord } from "../incidents/model.ts";

/**
 * Durable incident state in Table storage. Updates use ETags: `updateIncident` re-reads and re-applies
 * the change when another instance got there first, so no update is lost.
 */
export interface IncidentStore {
  /** "exists" when the same delivery was recorded before: the idempotency check of the webhook. */
  insertAlert(record: AlertRecord): Promise<"inserted" | "exists">;
  getAlert(key: string): Promise<AlertRecord | undefined>;
  markAlertProcessed(key: string, incidentId: string | null): Promise<void>;

  /**
   * Claims the open incident for a dedup key. Exactly one caller creates it; the others learn its id.
   */
  claimIncidentKey(dedupKey: string, incidentId: string): Promise<{ created: boolean; incidentId: string }>;
  /** The incident that holds the key now, if any: a read, it claims nothing. */
  findIncidentKey(dedupKey: string): Promise<string | undefined>;
  /** Frees the key of a resolved incident, so the next fire opens a new one. */
  releaseIncidentKey(dedupKey: string, incidentId: string): Promise<void>;

  /** "exists" when another instance wrote the incident first. */
  createIncident(incident: Incident): Promise<"created" | "exists">;
  getIncident(id: string): Promise<Incident | undefined>;
  /**
   * Applies `change` to the current version; retried on an ETag conflict. `change` returns undefined to
   * leave the incident as it is.
   */
  updateIncident(id: string, change: (current: Incident) => Incident | undefined): Promise<Incident>;
  listIncidents(options: { status?: Incident["status"]; limit: number }): Promise<Incident[]>;
  listIncidentsOpenedBetween(from: string, to: string): Promise<Incident[]>;

  appendEvent(incidentId: string, event: IncidentEvent): Promise<void>;
  /** The incident's history, oldest first. */
  listEvents(incidentId: string): Promise<IncidentEvent[]>;

  insertNotification(record: NotificationRecord): Promise<"inserted" | "exists">;
  getNotification(incidentId: string, id: string): Promise<NotificationRecord | undefined>;
  updateNotification(incidentId: string, id: string, patch: Partial<NotificationRecord>): Promise<void>;

  /** Counts one email against the per-minute and per-hour limits; false when either is spent. */
  takeEmailAllowance(
    now: Date,
    perMinute: number,
    perHour: number,
  ): Promise<{ allowed: true } | { allowed: false; retryAfterSeconds: number }>;
  /**
   * Counts an incident opening in the given minute and answers its place among that minute's
   * openings. Counting the same incident again (a redelivered opening) answers the same place.
   */
  countOpening(minute: string, incidentId: string): Promise<number>;

  /** A payload too large for a queue message, kept as a blob until it is processed. */
  savePayload(key: string, raw: string): Promise<string>;
  readPayload(blob: string): Promise<string | undefined>;

  saveDiagnostics(incidentId: string, body: string): Promise<string>;
  getDiagnostics(incidentId: string): Promise<string | undefined>;
}

/** Deferred work: queue messages, optionally invisible for a while (escalation steps, retries). */
export interface WorkQueue {
  send(queue: QueueName, message: object, options?: { delayInSeconds?: number }): Promise<void>;
}

export const queueNames = {
  alerts: "phoenix-alerts",
  escalations: "phoenix-escalations",
  notifications: "phoenix-notifications",
  diagnostics: "phoenix-diagnostics",
} as const;
export type QueueName = (typeof queueNames)[keyof typeof queueNames];

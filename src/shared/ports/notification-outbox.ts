import type { NotificationRecord } from "../incidents/model.ts";
import type { CallOptions } from "./call-options.ts";

/**
 * The email outbox: a row per email before it is sent, so that a send is retried until the email
 * service accepts it and never made twice; plus the counters that keep the service's limits.
 */
export interface NotificationOutbox {
  insertNotification(record: NotificationRecord, options?: CallOptions): Promise<"inserted" | "exists">;
  getNotification(
    incidentId: string,
    id: string,
    options?: CallOptions,
  ): Promise<NotificationRecord | undefined>;
  updateNotification(
    incidentId: string,
    id: string,
    patch: Partial<NotificationRecord>,
    options?: CallOptions,
  ): Promise<void>;
  /** Counts one email against the per-minute and per-hour limits; false when either is spent. */
  takeEmailAllowance(
    now: Date,
    perMinute: number,
    perHour: number,
    options?: CallOptions,
  ): Promise<{ allowed: true } | { allowed: false; retryAfterSeconds: number }>;
  /**
   * Counts an incident opening in the given minute and answers its place among that minute's
   * openings. Counting the same incident again (a redelivered opening) answers the same place.
   */
  countOpening(minute: string, incidentId: string, options?: CallOptions): Promise<number>;
}

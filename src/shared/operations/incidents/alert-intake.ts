import { z } from "zod";
import { issuesLine } from "../../validation.ts";
import type { AlertIntake, AlertMessage } from "../../ports/alert-intake.ts";
import { type WorkQueue, queueNames } from "../../ports/work-queue.ts";

export type { AlertMessage } from "../../ports/alert-intake.ts";

/** What the alerts queue carries: the deliveries that reached one instance at about the same time. */
export interface AlertBatch {
  alerts: AlertMessage[];
}

/**
 * A queue message is at most 64 KiB once base64-encoded (the Functions host decodes base64), so its
 * JSON may hold 48 KiB; a little is kept back for the batch's own brackets and commas.
 */
export const MAX_BATCH_JSON_BYTES = 48 * 1024 - 256;
/** Keeps one message's processing short next to the queue's visibility timeout. */
export const MAX_BATCH_ALERTS = 100;

/** The UTF-8 size of one alert message inside a batch. */
export function alertMessageBytes(message: AlertMessage): number {
  return Buffer.byteLength(JSON.stringify(message));
}

const alertMessageSchema = z.object({
  key: z.string().regex(/^[0-9a-f]{64}$/, "a delivery key is 64 hex digits"),
  raw: z.string().optional(),
  blob: z.string().min(1).optional(),
});

/**
 * Reads an alerts-queue message: a batch, or a single delivery as earlier versions queued them. Each
 * delivery is checked on its own, so one malformed entry does not cost the others their processing.
 */
export function readAlertQueueMessage(body: unknown): {
  alerts: AlertMessage[];
  rejected: { index: number; issues: string }[];
} {
  const batch = z.object({ alerts: z.array(z.unknown()) }).safeParse(body);
  const items = batch.success ? batch.data.alerts : [body];
  const alerts: AlertMessage[] = [];
  const rejected: { index: number; issues: string }[] = [];
  items.forEach((item, index) => {
    const parsed = alertMessageSchema.safeParse(item);
    if (parsed.success) alerts.push(parsed.data);
    else
      rejected.push({
        index,
        issues: issuesLine(parsed.error.issues, "(message)"),
      });
  });
  if (items.length === 0) rejected.push({ index: 0, issues: "alerts: the batch is empty" });
  return { alerts, rejected };
}

interface Pending {
  alerts: AlertMessage[];
  bytes: number;
  settle: { resolve: () => void; reject: (error: unknown) => void }[];
}

/**
 * Group commit for the alert webhook. Deliveries that arrive at one instance within a short window
 * (`windowMs`, from the first) share one queue message, and each caller is answered only when that
 * message is written, so a 202 still means "durably recorded". An alert storm therefore costs the
 * queue one write and, later, one dequeue per batch of alerts rather than per alert; a full batch is
 * written at once.
 *
 * Nothing outlives a flush: the batch is in memory only while its callers wait for it, which keeps
 * instances independent and lets the platform scale them out.
 */
export class BatchingAlertIntake implements AlertIntake {
  #pending: Pending | undefined;

  constructor(
    private readonly queue: WorkQueue,
    private readonly options: {
      /**
       * How long a batch stays open for more deliveries after its first, in milliseconds; 0 writes it
       * on the next turn of the event loop.
       */
      windowMs: number;
      maxBytes?: number;
      maxAlerts?: number;
      /**
       * How long a batch's write may take before its callers are told to retry (503): an action group
       * gives up after about 10 s, whatever the storage client's own timeouts are.
       */
      deadlineInMs?: number;
    },
  ) {}

  record(message: AlertMessage, measured = alertMessageBytes(message)): Promise<void> {
    // One more for the comma that separates it from the delivery before it.
    const bytes = measured + 1;
    const maxBytes = this.options.maxBytes ?? MAX_BATCH_JSON_BYTES;
    const maxAlerts = this.options.maxAlerts ?? MAX_BATCH_ALERTS;
    let pending = this.#pending;
    if (pending && (pending.bytes + bytes > maxBytes || pending.alerts.length >= maxAlerts)) {
      this.#flush(pending);
      pending = undefined;
    }
    if (!pending) {
      const fresh: Pending = { alerts: [], bytes: 0, settle: [] };
      this.#pending = pending = fresh;
      const { windowMs } = this.options;
      if (windowMs > 0) setTimeout(() => this.#flush(fresh), windowMs);
      else setImmediate(() => this.#flush(fresh));
    }
    pending.alerts.push(message);
    pending.bytes += bytes;
    const batch = pending;
    return new Promise<void>((resolve, reject) => batch.settle.push({ resolve, reject }));
  }

  #flush(batch: Pending): void {
    // A batch is flushed once: either when it is full or when its scheduled turn comes.
    if (this.#pending === batch) this.#pending = undefined;
    const { alerts, settle } = batch;
    if (alerts.length === 0) return;
    batch.alerts = [];
    batch.settle = [];
    const message: AlertBatch = { alerts };
    const deadline = this.options.deadlineInMs;
    this.queue
      .send(queueNames.alerts, message, deadline ? { abortSignal: AbortSignal.timeout(deadline) } : {})
      .then(
        () => settle.forEach((s) => s.resolve()),
        (error: unknown) => settle.forEach((s) => s.reject(error)),
      );
  }
}

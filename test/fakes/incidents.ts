import { assertStorable } from "../../src/shared/adapters/table-incident-store.ts";
import { OpsError } from "../../src/shared/errors.ts";
import type {
  AlertRecord,
  Incident,
  IncidentEvent,
  NotificationRecord,
} from "../../src/shared/incidents/model.ts";
import type { AlertStore } from "../../src/shared/ports/alert-store.ts";
import type { CallOptions } from "../../src/shared/ports/call-options.ts";
import type { DiagnosticsStore } from "../../src/shared/ports/diagnostics-store.ts";
import type { IncidentStore } from "../../src/shared/ports/incident-store.ts";
import type { NotificationOutbox } from "../../src/shared/ports/notification-outbox.ts";
import type { QueueName, WorkQueue } from "../../src/shared/ports/work-queue.ts";

export { FakeEmail, FixedClock } from "./index.ts";

const MAX_CONFLICT_RETRIES = 20;
/** The table adapter's limits: history text columns are cut to these, and openings tracked per minute. */
const MAX_PROPERTY_CHARS = 30_000;
const MAX_BY_CHARS = 500;
const MAX_TRACKED_OPENINGS = 1000;

/** Store methods a test can make fail once, as a storage outage would. */
export type FailableStoreMethod = Exclude<
  keyof (IncidentStore & AlertStore & NotificationOutbox & DiagnosticsStore),
  "updateIncident"
>;

/**
 * The incident store in memory, with the semantics of TableIncidentStore: inserts (alerts, incidents,
 * outbox rows) that answer "exists", a dedup-key claim that reads first and that exactly one caller
 * wins, and optimistic concurrency on incidents (a version per incident; `updateIncident` re-reads and
 * re-applies the change when the version it read is no longer current). Payloads too large for a
 * queue message are kept by blob name. Everything goes in and out as a copy, as through a real store,
 * and a document the table adapter would refuse as too large is refused here too, with its error.
 */
export class MemoryIncidentStore implements IncidentStore, AlertStore, NotificationOutbox, DiagnosticsStore {
  readonly alerts = new Map<string, AlertRecord>();
  /** dedupKey → incident id holding it. */
  readonly keys = new Map<string, string>();
  readonly incidents = new Map<string, { incident: Incident; version: number }>();
  readonly events = new Map<string, IncidentEvent[]>();
  /** `${incidentId}|${id}` → record. */
  readonly notifications = new Map<string, NotificationRecord>();
  /** Email counts per hour ("2026-11-26T06") with each minute's count ("00".."59"), as the limits table. */
  readonly emailCounts = new Map<string, { count: number; minutes: Record<string, number> }>();
  /**
   * Incidents opened per minute ("2026-11-26T06:00"), in order: the first 1000 of a minute, as the
   * adapter remembers no more ids than that.
   */
  readonly openings = new Map<string, string[]>();
  /** Openings counted per minute, including those past the tracked ids. */
  readonly openingCounts = new Map<string, number>();
  readonly diagnostics = new Map<string, string>();
  /** Blob name ("payloads/<key>.json") → a payload too large for a queue message. */
  readonly payloads = new Map<string, string>();

  /** How many incident writes found the version changed under them and re-applied their change. */
  conflicts = 0;

  private interleave: (() => void | Promise<void>) | undefined;
  private readonly failures = new Map<FailableStoreMethod, Error>();

  /**
   * Runs `concurrently` once, inside the next `updateIncident` that is about to write: after it read
   * the incident and applied its change, before it writes. Whatever `concurrently` changes (through
   * the store or the operations) makes that write a conflict, which must be retried, not lost.
   */
  interleaveOnce(concurrently: () => void | Promise<void>): void {
    this.interleave = concurrently;
  }

  /** The next call of `method` throws (a storage outage) instead of doing anything. */
  failOnce(
    method: FailableStoreMethod,
    error: Error = new OpsError("StoreFailed", `${method} failed`),
  ): void {
    this.failures.set(method, error);
  }

  private maybeFail(method: FailableStoreMethod, options: CallOptions): void {
    refuseAborted(options);
    const error = this.failures.get(method);
    if (error) {
      this.failures.delete(method);
      throw error;
    }
  }

  // --- alerts ---------------------------------------------------------------------------------

  async insertAlert(record: AlertRecord, options: CallOptions = {}): Promise<"inserted" | "exists"> {
    this.maybeFail("insertAlert", options);
    assertStorable(`the alert record ${record.key}`, JSON.stringify({ ...record, raw: undefined }));
    assertStorable(`the payload of alert ${record.key}`, record.raw);
    if (this.alerts.has(record.key)) return "exists";
    this.alerts.set(record.key, structuredClone(record));
    return "inserted";
  }

  async getAlert(key: string, options: CallOptions = {}): Promise<AlertRecord | undefined> {
    this.maybeFail("getAlert", options);
    const record = this.alerts.get(key);
    return record ? structuredClone(record) : undefined;
  }

  async markAlertProcessed(key: string, incidentId: string | null, options: CallOptions = {}): Promise<void> {
    this.maybeFail("markAlertProcessed", options);
    const record = this.alerts.get(key);
    // The adapter merges into the row, which storage refuses with 404 when there is none.
    if (!record) {
      throw new OpsError("StoreFailed", "could not mark the alert processed (storage answered 404)", {
        retryable: false,
      });
    }
    this.alerts.set(key, { ...record, status: "processed", incidentId });
  }

  // --- dedup keys -----------------------------------------------------------------------------

  async claimIncidentKey(
    dedupKey: string,
    incidentId: string,
    options: CallOptions = {},
  ): Promise<{ created: boolean; incidentId: string }> {
    this.maybeFail("claimIncidentKey", options);
    // As the table adapter: read first (most alerts join an open incident), insert only when free.
    const holder = this.keys.get(dedupKey);
    if (holder !== undefined) return { created: false, incidentId: holder };
    this.keys.set(dedupKey, incidentId);
    return { created: true, incidentId };
  }

  async findIncidentKey(dedupKey: string, options: CallOptions = {}): Promise<string | undefined> {
    this.maybeFail("findIncidentKey", options);
    return this.keys.get(dedupKey);
  }

  async releaseIncidentKey(dedupKey: string, incidentId: string, options: CallOptions = {}): Promise<void> {
    this.maybeFail("releaseIncidentKey", options);
    // Only the incident that holds the key frees it.
    if (this.keys.get(dedupKey) === incidentId) this.keys.delete(dedupKey);
  }

  // --- incidents ------------------------------------------------------------------------------

  async createIncident(incident: Incident, options: CallOptions = {}): Promise<"created" | "exists"> {
    this.maybeFail("createIncident", options);
    assertStorable(`incident ${incident.id}`, JSON.stringify(incident));
    // Storage answers 409 for an id that is there already; the adapter turns that into "exists".
    if (this.incidents.has(incident.id)) return "exists";
    this.incidents.set(incident.id, { incident: structuredClone(incident), version: 1 });
    return "created";
  }

  async getIncident(id: string, options: CallOptions = {}): Promise<Incident | undefined> {
    this.maybeFail("getIncident", options);
    // As the adapter: an id that could not be a row key is no incident, whatever is stored.
    if (!/^[\w-]{1,80}$/.test(id)) return undefined;
    const entry = this.incidents.get(id);
    return entry ? structuredClone(entry.incident) : undefined;
  }

  async updateIncident(
    id: string,
    change: (current: Incident) => Incident | undefined,
    options: CallOptions = {},
  ): Promise<Incident> {
    refuseAborted(options);
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const read = this.incidents.get(id);
      if (!read) throw new OpsError("NotFound", `no incident ${id}`, { details: { incidentId: id } });
      const next = change(structuredClone(read.incident));
      if (!next) return structuredClone(read.incident);
      assertStorable(`incident ${id}`, JSON.stringify(next));
      const concurrently = this.interleave;
      if (concurrently) {
        this.interleave = undefined;
        await concurrently();
      }
      const current = this.incidents.get(id);
      if (!current || current.version !== read.version) {
        // Someone else wrote first (the ETag no longer matches): read again and re-apply.
        this.conflicts++;
        continue;
      }
      this.incidents.set(id, { incident: structuredClone(next), version: read.version + 1 });
      return structuredClone(next);
    }
    throw new OpsError("Conflict", `incident ${id} kept changing under us`, { retryable: true });
  }

  async listIncidents(
    query: { status?: Incident["status"]; limit: number },
    options: CallOptions = {},
  ): Promise<Incident[]> {
    this.maybeFail("listIncidents", options);
    return this.byId()
      .filter((i) => query.status === undefined || i.status === query.status)
      .sort((a, b) => b.openedAt.localeCompare(a.openedAt))
      .slice(0, query.limit);
  }

  async listIncidentsOpenedBetween(from: string, to: string, options: CallOptions = {}): Promise<Incident[]> {
    this.maybeFail("listIncidentsOpenedBetween", options);
    return this.byId()
      .filter((i) => i.openedAt >= from && i.openedAt < to)
      .sort((a, b) => a.openedAt.localeCompare(b.openedAt));
  }

  /**
   * Copies of the incidents in the order Table storage lists their rows (by id, ordinal), which the
   * adapter's stable sort keeps for incidents opened at the same instant.
   */
  private byId(): Incident[] {
    return [...this.incidents.values()]
      .map((e) => structuredClone(e.incident))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  // --- history --------------------------------------------------------------------------------

  async appendEvent(incidentId: string, event: IncidentEvent, options: CallOptions = {}): Promise<void> {
    this.maybeFail("appendEvent", options);
    const list = this.events.get(incidentId) ?? [];
    if (event.id && list.some((e) => e.id === event.id)) return;
    // The adapter keeps `by` and `detail` in columns of their own, cut to fit one.
    list.push({
      ...structuredClone(event),
      by: event.by.slice(0, MAX_BY_CHARS),
      detail: event.detail.slice(0, MAX_PROPERTY_CHARS),
    });
    this.events.set(incidentId, list);
  }

  async listEvents(incidentId: string, options: CallOptions = {}): Promise<IncidentEvent[]> {
    this.maybeFail("listEvents", options);
    // As the table store reads them back: without the id, in time order.
    return structuredClone(this.events.get(incidentId) ?? [])
      .map(({ id: _id, ...rest }) => rest)
      .sort((a, b) => a.at.localeCompare(b.at));
  }

  // --- outbox ---------------------------------------------------------------------------------

  async insertNotification(
    record: NotificationRecord,
    options: CallOptions = {},
  ): Promise<"inserted" | "exists"> {
    this.maybeFail("insertNotification", options);
    assertStorable(`notification ${record.id} of ${record.incidentId}`, JSON.stringify(record));
    const key = `${record.incidentId}|${record.id}`;
    if (this.notifications.has(key)) return "exists";
    this.notifications.set(key, structuredClone(record));
    return "inserted";
  }

  async getNotification(
    incidentId: string,
    id: string,
    options: CallOptions = {},
  ): Promise<NotificationRecord | undefined> {
    this.maybeFail("getNotification", options);
    const record = this.notifications.get(`${incidentId}|${id}`);
    return record ? structuredClone(record) : undefined;
  }

  async updateNotification(
    incidentId: string,
    id: string,
    patch: Partial<NotificationRecord>,
    options: CallOptions = {},
  ): Promise<void> {
    this.maybeFail("updateNotification", options);
    const key = `${incidentId}|${id}`;
    const record = this.notifications.get(key);
    if (!record) return;
    const next = { ...record, ...structuredClone(patch) };
    assertStorable(`notification ${id} of ${incidentId}`, JSON.stringify(next));
    this.notifications.set(key, next);
  }

  // --- limits ---------------------------------------------------------------------------------

  /** The table adapter's rule: one count per UTC hour and per minute of it; the hour is checked first. */
  async takeEmailAllowance(
    now: Date,
    perMinute: number,
    perHour: number,
    options: CallOptions = {},
  ): Promise<{ allowed: true } | { allowed: false; retryAfterSeconds: number }> {
    this.maybeFail("takeEmailAllowance", options);
    const hour = now.toISOString().slice(0, 13);
    const minute = now.toISOString().slice(14, 16);
    const entry = this.emailCounts.get(hour) ?? { count: 0, minutes: {} };
    const minuteCount = entry.minutes[minute] ?? 0;
    if (entry.count >= perHour) {
      return { allowed: false, retryAfterSeconds: 3600 - (now.getUTCMinutes() * 60 + now.getUTCSeconds()) };
    }
    if (minuteCount >= perMinute) return { allowed: false, retryAfterSeconds: 60 - now.getUTCSeconds() };
    this.emailCounts.set(hour, {
      count: entry.count + 1,
      minutes: { ...entry.minutes, [minute]: minuteCount + 1 },
    });
    return { allowed: true };
  }

  async countOpening(minute: string, incidentId: string, options: CallOptions = {}): Promise<number> {
    this.maybeFail("countOpening", options);
    const ids = this.openings.get(minute) ?? [];
    const place = ids.indexOf(incidentId);
    if (place >= 0) return place + 1;
    // Past the ids the adapter remembers, only the count grows: a redelivery there counts again.
    const count = (this.openingCounts.get(minute) ?? ids.length) + 1;
    this.openingCounts.set(minute, count);
    if (ids.length < MAX_TRACKED_OPENINGS) this.openings.set(minute, [...ids, incidentId]);
    return count;
  }

  // --- payloads -------------------------------------------------------------------------------

  async savePayload(key: string, raw: string, options: CallOptions = {}): Promise<string> {
    this.maybeFail("savePayload", options);
    const name = `payloads/${key}.json`;
    this.payloads.set(name, raw);
    return name;
  }

  async readPayload(blob: string, options: CallOptions = {}): Promise<string | undefined> {
    this.maybeFail("readPayload", options);
    // As the adapter: only names it gave out are read; anything else is no payload.
    if (!/^payloads\/[0-9a-f]{64}\.json$/.test(blob)) return undefined;
    return this.payloads.get(blob);
  }

  // --- diagnostics ----------------------------------------------------------------------------

  async saveDiagnostics(incidentId: string, body: string, options: CallOptions = {}): Promise<string> {
    this.maybeFail("saveDiagnostics", options);
    const name = `incidents/${incidentId}.json`;
    this.diagnostics.set(name, body);
    return name;
  }

  async getDiagnostics(incidentId: string, options: CallOptions = {}): Promise<string | undefined> {
    this.maybeFail("getDiagnostics", options);
    return this.diagnostics.get(`incidents/${incidentId}.json`);
  }

  // --- test helpers ---------------------------------------------------------------------------

  /** The stored incident (a copy); throws when there is none. */
  incident(id: string): Incident {
    const entry = this.incidents.get(id);
    if (!entry) throw new Error(`no incident ${id} in the store`);
    return structuredClone(entry.incident);
  }

  /** The stored version of an incident: 1 when created, +1 per write. */
  versionOf(id: string): number | undefined {
    return this.incidents.get(id)?.version;
  }

  /** The outbox rows of one incident (or of "digests"), in insertion order. */
  notificationsOf(incidentId: string): NotificationRecord[] {
    return [...this.notifications.values()]
      .filter((n) => n.incidentId === incidentId)
      .map((n) => structuredClone(n));
  }

  /** The history of one incident, event types only. */
  eventTypes(incidentId: string): string[] {
    return (this.events.get(incidentId) ?? []).map((e) => e.type);
  }
}

/** A call whose signal is aborted fails, as the adapter's does, before anything is written. */
function refuseAborted(options: CallOptions): void {
  const signal = options.abortSignal;
  if (signal?.aborted) {
    throw new OpsError("StoreFailed", "the incident store call was aborted", {
      cause: signal.reason,
      retryable: true,
    });
  }
}

export interface QueuedMessage<T extends object = object> {
  queue: QueueName;
  message: T;
  /** 0 when sent without a delay. */
  delayInSeconds: number;
}

/**
 * Queues in memory: every message sent, with its delay. `drain` hands a queue's waiting messages to
 * the test (which plays the queue trigger) and removes them; `sent` keeps the whole history.
 */
export class MemoryWorkQueue implements WorkQueue {
  readonly sent: QueuedMessage[] = [];
  private waiting: QueuedMessage[] = [];
  private readonly failures = new Map<QueueName, Error>();

  async send(queue: QueueName, message: object, options: { delayInSeconds?: number } = {}): Promise<void> {
    const error = this.failures.get(queue);
    if (error) {
      this.failures.delete(queue);
      throw error;
    }
    const queued: QueuedMessage = {
      queue,
      message: structuredClone(message),
      delayInSeconds: options.delayInSeconds ?? 0,
    };
    this.sent.push(queued);
    this.waiting.push(queued);
  }

  /** The next send to `queue` throws (a queue storage outage) and queues nothing. */
  failOnce(
    queue: QueueName,
    error: Error = new OpsError("StoreFailed", `could not queue work on ${queue}`),
  ): void {
    this.failures.set(queue, error);
  }

  /** Removes and answers the messages waiting on `queue`, oldest first. */
  drain<T extends object = Record<string, unknown>>(queue: QueueName): QueuedMessage<T>[] {
    const taken = this.waiting.filter((m) => m.queue === queue);
    this.waiting = this.waiting.filter((m) => m.queue !== queue);
    return taken as QueuedMessage<T>[];
  }

  /** The messages waiting on `queue`, left in place. */
  peek<T extends object = Record<string, unknown>>(queue: QueueName): QueuedMessage<T>[] {
    return this.waiting.filter((m) => m.queue === queue) as QueuedMessage<T>[];
  }

  /** Every message ever sent to `queue`, drained or not. */
  history<T extends object = Record<string, unknown>>(queue: QueueName): QueuedMessage<T>[] {
    return this.sent.filter((m) => m.queue === queue) as QueuedMessage<T>[];
  }
}

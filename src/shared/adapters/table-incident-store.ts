import { createHash, randomUUID } from "node:crypto";
import { RestError } from "@azure/core-rest-pipeline";
import type { TableClient } from "@azure/data-tables";
import type { ContainerClient } from "@azure/storage-blob";
import { OpsError } from "../errors.ts";
import type { AlertRecord, Incident, IncidentEvent, NotificationRecord } from "../incidents/model.ts";
import type { CallOptions } from "../ports/call-options.ts";
import type { IncidentStore } from "../ports/incident-store.ts";

export interface IncidentTables {
  alerts: TableClient;
  keys: TableClient;
  incidents: TableClient;
  events: TableClient;
  notifications: TableClient;
  limits: TableClient;
  diagnostics: ContainerClient;
}

/** A table property holds at most 64 KiB (32 K UTF-16 characters); short text columns are cut to this. */
const MAX_PROPERTY_CHARS = 30_000;
/**
 * Documents (an incident, an alert and its payload, a notification) up to this many UTF-16 characters
 * are kept in their row; longer ones go to a blob that the row names. Splitting across columns was not
 * an option: an entity holds at most 1 MiB counted in UTF-16, so a 1 MiB webhook body (1 M characters,
 * 2 MiB in UTF-16) or a notification of several hundred KB of html and text cannot fit any row.
 */
const MAX_INLINE_CHARS = 32_000;
/**
 * The largest document the store keeps, in UTF-8 bytes: above the largest webhook body the app can be
 * configured to accept (PHOENIX_ALERTS_MAX_BODY_BYTES is at most 10 MB), and small enough to upload in
 * one request and hold in memory. Anything larger fails on write, never on read.
 */
export const MAX_DOCUMENT_BYTES = 32 * 1024 * 1024;
/** Earlier versions cut documents at this many characters, which left JSON that no longer parses. */
const LEGACY_CUT_CHARS = 30_000;
/** A row re-read when the blob it named was replaced in between (another instance updated the row). */
const MAX_MOVED_RETRIES = 5;
const MAX_CONFLICT_RETRIES = 20;
/** Incident ids remembered per minute of openings: about 25 characters each, well within a property. */
const MAX_TRACKED_OPENINGS = 1000;

/** A row holding one document: inline in `doc`, or in the blob named by `docBlob`. */
interface DocEntity {
  partitionKey: string;
  rowKey: string;
  doc?: string;
  docBlob?: string;
  etag?: string;
}

interface AlertEntity extends DocEntity {
  raw?: string;
  rawBlob?: string;
  status: string;
  incidentId?: string;
}

/** A document's text could not be found: its row was replaced (and its old blob removed) since the read. */
const MOVED = Symbol("moved");

/**
 * Refuses, on write, a document the store could not keep whole. Exported so that the in-memory fake
 * refuses exactly what this adapter refuses.
 */
export function assertStorable(what: string, text: string): void {
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_DOCUMENT_BYTES) {
    throw new OpsError(
      "StoreFailed",
      `${what} is too large to store: ${bytes} bytes, more than the ${MAX_DOCUMENT_BYTES} the incident store keeps`,
      { retryable: false, details: { bytes, maxBytes: MAX_DOCUMENT_BYTES } },
    );
  }
}

/** Parses a stored document; a row that does not parse is named, not thrown as a bare SyntaxError. */
function parseDoc<T>(what: string, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    const cut = text.length === LEGACY_CUT_CHARS;
    throw new OpsError(
      "StoreFailed",
      `${what} is stored as JSON that does not parse (${text.length} characters${
        cut
          ? ": it was cut at 30000 characters by an earlier version of the store and cannot be recovered"
          : ""
      })`,
      { cause: error, retryable: false, details: { characters: text.length, truncated: cut } },
    );
  }
}

/**
 * Incidents, their alerts, history and outbox in Table storage; diagnostics as blobs. Every
 * read-modify-write is guarded by the entity's ETag and retried on conflict.
 */
export class TableIncidentStore implements IncidentStore {
  private ready: Promise<void> | undefined;
  private prepared = false;

  constructor(private readonly t: IncidentTables) {}

  /**
   * Waits for the tables and container. The preparation is shared by every call, so one caller's
   * signal must not cancel it for the others: an aborted caller stops waiting instead, and a caller
   * aborted before it starts does not start it (nothing is written for a call already given up).
   * Once prepared, a call goes straight to storage, whose client honours the signal itself.
   */
  private async ensure(signal: AbortSignal | undefined): Promise<void> {
    if (this.prepared) return;
    if (signal?.aborted) throw aborted(signal);
    const ready = this.prepare();
    if (!signal) return ready;
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(aborted(signal));
      signal.addEventListener("abort", onAbort, { once: true });
      ready.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  private prepare(): Promise<void> {
    this.ready ??= Promise.all([
      ...[
        this.t.alerts,
        this.t.keys,
        this.t.incidents,
        this.t.events,
        this.t.notifications,
        this.t.limits,
      ].map((table) => ignore409(table.createTable())),
      ignore409(this.t.diagnostics.createIfNotExists()),
    ]).then(
      () => {
        this.prepared = true;
      },
      (error: unknown) => {
        this.ready = undefined;
        throw new OpsError("StoreFailed", "could not prepare the incident store", {
          cause: error,
          retryable: true,
        });
      },
    );
    return this.ready;
  }

  async insertAlert(record: AlertRecord, options: CallOptions = {}): Promise<"inserted" | "exists"> {
    await this.ensure(options.abortSignal);
    const doc = JSON.stringify({ ...record, raw: undefined });
    assertStorable(`the alert record ${record.key}`, doc);
    assertStorable(`the payload of alert ${record.key}`, record.raw);
    return guard("record the alert", async () => {
      const owner = `alerts/${record.key}`;
      const written = [
        await this.place(owner, "doc", doc, options.abortSignal),
        await this.place(owner, "raw", record.raw, options.abortSignal),
      ];
      try {
        await this.t.alerts.createEntity(
          {
            partitionKey: record.key.slice(0, 2),
            rowKey: record.key,
            ...written[0]?.columns,
            ...written[1]?.columns,
            status: record.status,
          },
          { abortSignal: options.abortSignal },
        );
        return "inserted";
      } catch (error) {
        await this.discard(written);
        if (status(error) === 409) return "exists";
        throw error;
      }
    });
  }

  async getAlert(key: string, options: CallOptions = {}): Promise<AlertRecord | undefined> {
    await this.ensure(options.abortSignal);
    return guard("read the alert", async () => {
      for (let attempt = 0; attempt < MAX_MOVED_RETRIES; attempt++) {
        const entity = await getOrUndefined<AlertEntity>(
          this.t.alerts,
          key.slice(0, 2),
          key,
          options.abortSignal,
        );
        if (!entity) return undefined;
        const doc = await this.text(entity.doc, entity.docBlob, options.abortSignal);
        const raw = await this.text(entity.raw, entity.rawBlob, options.abortSignal);
        if (doc === MOVED || raw === MOVED) continue;
        const record = parseDoc<AlertRecord>(`the stored alert ${key}`, doc);
        // The payload is a column of its own and is not parsed here, but a cut one is as broken for the
        // caller that parses it: say so here rather than let it fail there.
        if (raw.length === LEGACY_CUT_CHARS) parseDoc<unknown>(`the stored payload of alert ${key}`, raw);
        const status = entity.status as AlertRecord["status"];
        return { ...record, raw, status, incidentId: entity.incidentId || null };
      }
      throw new OpsError("Conflict", `alert ${key} kept changing under us`, { retryable: true });
    });
  }

  async markAlertProcessed(key: string, incidentId: string | null, options: CallOptions = {}): Promise<void> {
    await this.ensure(options.abortSignal);
    // Status and incident are columns of their own, so marking is one write and no read.
    await guard("mark the alert processed", () =>
      this.t.alerts.updateEntity(
        { partitionKey: key.slice(0, 2), rowKey: key, status: "processed", incidentId: incidentId ?? "" },
        "Merge",
        { abortSignal: options.abortSignal },
      ),
    );
  }

  async findIncidentKey(dedupKey: string, options: CallOptions = {}): Promise<string | undefined> {
    await this.ensure(options.abortSignal);
    return guard(
      "read the incident key",
      async () =>
        (
          await getOrUndefined<{ incidentId: string }>(
            this.t.keys,
            "key",
            hash(dedupKey),
            options.abortSignal,
          )
        )?.incidentId,
    );
  }

  async claimIncidentKey(
    dedupKey: string,
    incidentId: string,
    options: CallOptions = {},
  ): Promise<{ created: boolean; incidentId: string }> {
    await this.ensure(options.abortSignal);
    const rowKey = hash(dedupKey);
    return guard("claim the incident key", async () => {
      // Most alerts join an incident that is already open: read first, write only to open one.
      const open = await getOrUndefined<{ incidentId: string }>(
        this.t.keys,
        "key",
        rowKey,
        options.abortSignal,
      );
      if (open) return { created: false, incidentId: open.incidentId };
      for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
        try {
          await this.t.keys.createEntity(
            {
              partitionKey: "key",
              rowKey,
              incidentId,
              dedupKey: capped(dedupKey),
            },
            { abortSignal: options.abortSignal },
          );
          return { created: true, incidentId };
        } catch (error) {
          if (status(error) !== 409) throw error;
        }
        const existing = await getOrUndefined<{ incidentId: string }>(
          this.t.keys,
          "key",
          rowKey,
          options.abortSignal,
        );
        // Released between our insert and our read: try again to be the one that opens.
        if (existing) return { created: false, incidentId: existing.incidentId };
      }
      throw new OpsError("Conflict", `could not claim incident key ${dedupKey}`, { retryable: true });
    });
  }

  async releaseIncidentKey(dedupKey: string, incidentId: string, options: CallOptions = {}): Promise<void> {
    await this.ensure(options.abortSignal);
    const rowKey = hash(dedupKey);
    await guard("release the incident key", async () => {
      const existing = await getOrUndefined<{ incidentId: string; etag: string }>(
        this.t.keys,
        "key",
        rowKey,
        options.abortSignal,
      );
      // Only the incident that holds the key frees it, and only the version it read.
      if (!existing || existing.incidentId !== incidentId) return;
      try {
        await this.t.keys.deleteEntity("key", rowKey, {
          etag: existing.etag,
          abortSignal: options.abortSignal,
        });
      } catch (error) {
        if (status(error) !== 404 && status(error) !== 412) throw error;
      }
    });
  }

  async createIncident(incident: Incident, options: CallOptions = {}): Promise<"created" | "exists"> {
    await this.ensure(options.abortSignal);
    const doc = JSON.stringify(incident);
    assertStorable(`incident ${incident.id}`, doc);
    return guard("create the incident", async () => {
      const written = await this.place(`incidents/${incident.id}`, "doc", doc, options.abortSignal);
      try {
        await this.t.incidents.createEntity(
          {
            partitionKey: "incident",
            rowKey: incident.id,
            ...written.columns,
            ...columns(incident),
          },
          { abortSignal: options.abortSignal },
        );
        return "created";
      } catch (error) {
        await this.discard([written]);
        if (status(error) === 409) return "exists";
        throw error;
      }
    });
  }

  async getIncident(id: string, options: CallOptions = {}): Promise<Incident | undefined> {
    await this.ensure(options.abortSignal);
    if (!/^[\w-]{1,80}$/.test(id)) return undefined;
    return guard(
      "read the incident",
      async () => (await this.readIncident(id, options.abortSignal))?.incident,
    );
  }

  async updateIncident(
    id: string,
    change: (current: Incident) => Incident | undefined,
    options: CallOptions = {},
  ): Promise<Incident> {
    await this.ensure(options.abortSignal);
    return guard("update the incident", async () => {
      for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
        const read = await this.readIncident(id, options.abortSignal);
        if (!read) throw new OpsError("NotFound", `no incident ${id}`, { details: { incidentId: id } });
        const next = change(structuredClone(read.incident));
        if (!next) return read.incident;
        const doc = JSON.stringify(next);
        assertStorable(`incident ${id}`, doc);
        const written = await this.place(`incidents/${id}`, "doc", doc, options.abortSignal);
        try {
          await this.t.incidents.updateEntity(
            { partitionKey: "incident", rowKey: id, ...written.columns, ...columns(next) },
            "Replace",
            { etag: read.entity.etag, abortSignal: options.abortSignal },
          );
          await this.discard([{ blob: read.entity.docBlob }]);
          return next;
        } catch (error) {
          await this.discard([written]);
          if (status(error) !== 412) throw error;
          // Someone else changed it first: read again and re-apply on top of their version.
        }
      }
      throw new OpsError("Conflict", `incident ${id} kept changing under us`, { retryable: true });
    });
  }

  async listIncidents(
    query: { status?: Incident["status"]; limit: number },
    options: CallOptions = {},
  ): Promise<Incident[]> {
    await this.ensure(options.abortSignal);
    return guard("list incidents", async () => {
      const filter = query.status
        ? `PartitionKey eq 'incident' and status eq '${query.status}'`
        : `PartitionKey eq 'incident'`;
      const found = await this.listIncidentDocs(filter, options.abortSignal);
      return found.sort((a, b) => b.openedAt.localeCompare(a.openedAt)).slice(0, query.limit);
    });
  }

  async listIncidentsOpenedBetween(from: string, to: string, options: CallOptions = {}): Promise<Incident[]> {
    await this.ensure(options.abortSignal);
    return guard("list incidents", async () => {
      const filter = `PartitionKey eq 'incident' and openedAt ge '${from}' and openedAt lt '${to}'`;
      const found = await this.listIncidentDocs(filter, options.abortSignal);
      return found.sort((a, b) => a.openedAt.localeCompare(b.openedAt));
    });
  }

  async appendEvent(incidentId: string, event: IncidentEvent, options: CallOptions = {}): Promise<void> {
    await this.ensure(options.abortSignal);
    await guard("append to the incident history", async () => {
      try {
        await this.t.events.createEntity(
          {
            partitionKey: incidentId,
            // An event with an id is inserted once; the history is read back in time order.
            rowKey: event.id ? `id|${rowKeyOf(event.id)}` : `${event.at}|${randomUUID().slice(0, 8)}`,
            type: event.type,
            by: event.by.slice(0, 500),
            detail: capped(event.detail),
            at: event.at,
          },
          { abortSignal: options.abortSignal },
        );
      } catch (error) {
        if (!(event.id && status(error) === 409)) throw error;
      }
    });
  }

  async listEvents(incidentId: string, options: CallOptions = {}): Promise<IncidentEvent[]> {
    await this.ensure(options.abortSignal);
    return guard("read the incident history", async () => {
      const events: IncidentEvent[] = [];
      const filter = `PartitionKey eq '${incidentId.replace(/'/g, "''")}'`;
      for await (const e of this.t.events.listEntities<IncidentEvent>({
        queryOptions: { filter },
        abortSignal: options.abortSignal,
      })) {
        events.push({ at: e.at, type: e.type, by: e.by, detail: e.detail });
      }
      // Stable: events of the same instant keep the order Table storage returns them in.
      return events.sort((a, b) => a.at.localeCompare(b.at));
    });
  }

  async insertNotification(
    record: NotificationRecord,
    options: CallOptions = {},
  ): Promise<"inserted" | "exists"> {
    await this.ensure(options.abortSignal);
    const doc = JSON.stringify(record);
    assertStorable(`notification ${record.id} of ${record.incidentId}`, doc);
    return guard("queue the notification", async () => {
      const written = await this.place(
        `notifications/${record.incidentId}/${record.id}`,
        "doc",
        doc,
        options.abortSignal,
      );
      try {
        await this.t.notifications.createEntity(
          {
            partitionKey: record.incidentId,
            rowKey: rowKeyOf(record.id),
            ...written.columns,
          },
          { abortSignal: options.abortSignal },
        );
        return "inserted";
      } catch (error) {
        await this.discard([written]);
        if (status(error) === 409) return "exists";
        throw error;
      }
    });
  }

  async getNotification(
    incidentId: string,
    id: string,
    options: CallOptions = {},
  ): Promise<NotificationRecord | undefined> {
    await this.ensure(options.abortSignal);
    return guard(
      "read the notification",
      async () => (await this.readNotification(incidentId, id, options.abortSignal))?.record,
    );
  }

  async updateNotification(
    incidentId: string,
    id: string,
    patch: Partial<NotificationRecord>,
    options: CallOptions = {},
  ): Promise<void> {
    await this.ensure(options.abortSignal);
    await guard("update the notification", async () => {
      for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
        const read = await this.readNotification(incidentId, id, options.abortSignal);
        if (!read) return;
        const doc = JSON.stringify({ ...read.record, ...patch });
        assertStorable(`notification ${id} of ${incidentId}`, doc);
        const written = await this.place(
          `notifications/${incidentId}/${id}`,
          "doc",
          doc,
          options.abortSignal,
        );
        try {
          await this.t.notifications.updateEntity(
            { partitionKey: incidentId, rowKey: rowKeyOf(id), ...written.columns },
            "Replace",
            { etag: read.entity.etag, abortSignal: options.abortSignal },
          );
          await this.discard([{ blob: read.entity.docBlob }]);
          return;
        } catch (error) {
          await this.discard([written]);
          if (status(error) !== 412) throw error;
        }
      }
    });
  }

  async takeEmailAllowance(
    now: Date,
    perMinute: number,
    perHour: number,
    options: CallOptions = {},
  ): Promise<{ allowed: true } | { allowed: false; retryAfterSeconds: number }> {
    await this.ensure(options.abortSignal);
    const hour = now.toISOString().slice(0, 13);
    const minute = now.toISOString().slice(14, 16);
    return guard("count the email allowance", async () => {
      // One entity per hour holds the hour's count and each minute's, so one ETag guards both limits.
      for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
        const entity = await getOrUndefined<{ count: number; minutes: string; etag: string }>(
          this.t.limits,
          "email",
          hour,
          options.abortSignal,
        );
        const minutes = entity ? (JSON.parse(entity.minutes) as Record<string, number>) : {};
        const hourCount = entity?.count ?? 0;
        const minuteCount = minutes[minute] ?? 0;
        if (hourCount >= perHour) return { allowed: false, retryAfterSeconds: secondsToNextHour(now) };
        if (minuteCount >= perMinute) return { allowed: false, retryAfterSeconds: 60 - now.getUTCSeconds() };
        minutes[minute] = minuteCount + 1;
        const next = {
          partitionKey: "email",
          rowKey: hour,
          count: hourCount + 1,
          minutes: JSON.stringify(minutes),
        };
        try {
          const abortSignal = options.abortSignal;
          if (entity) await this.t.limits.updateEntity(next, "Replace", { etag: entity.etag, abortSignal });
          else await this.t.limits.createEntity(next, { abortSignal });
          return { allowed: true };
        } catch (error) {
          if (status(error) !== 412 && status(error) !== 409) throw error;
        }
      }
      return { allowed: false, retryAfterSeconds: 1 };
    });
  }

  async countOpening(minute: string, incidentId: string, options: CallOptions = {}): Promise<number> {
    await this.ensure(options.abortSignal);
    return guard("count incident openings", async () => {
      for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
        const entity = await getOrUndefined<{ count: number; ids?: string; etag: string }>(
          this.t.limits,
          "openings",
          minute,
          options.abortSignal,
        );
        const ids = entity?.ids ? (JSON.parse(entity.ids) as string[]) : [];
        const place = ids.indexOf(incidentId);
        if (place >= 0) return place + 1;
        const count = (entity?.count ?? 0) + 1;
        // The first openings of a minute are remembered by id, so that a redelivered opening keeps its
        // place; past that, only the count grows (a digest threshold is far below the cap).
        const row = {
          partitionKey: "openings",
          rowKey: minute,
          count,
          ids: JSON.stringify(ids.length < MAX_TRACKED_OPENINGS ? [...ids, incidentId] : ids),
        };
        try {
          const abortSignal = options.abortSignal;
          if (entity) await this.t.limits.updateEntity(row, "Replace", { etag: entity.etag, abortSignal });
          else await this.t.limits.createEntity(row, { abortSignal });
          return count;
        } catch (error) {
          if (status(error) !== 412 && status(error) !== 409) throw error;
        }
      }
      throw new OpsError("Conflict", "could not count incident openings", { retryable: true });
    });
  }

  async savePayload(key: string, raw: string, options: CallOptions = {}): Promise<string> {
    await this.ensure(options.abortSignal);
    const name = `payloads/${key}.json`;
    await guard("keep the alert payload", () =>
      this.t.diagnostics.getBlockBlobClient(name).upload(raw, Buffer.byteLength(raw), {
        blobHTTPHeaders: { blobContentType: "application/json" },
        abortSignal: options.abortSignal,
      }),
    );
    return name;
  }

  async readPayload(blob: string, options: CallOptions = {}): Promise<string | undefined> {
    await this.ensure(options.abortSignal);
    if (!/^payloads\/[0-9a-f]{64}\.json$/.test(blob)) return undefined;
    return guard("read the alert payload", async () => {
      try {
        return (
          await this.t.diagnostics
            .getBlobClient(blob)
            .downloadToBuffer(undefined, undefined, { abortSignal: options.abortSignal })
        ).toString("utf8");
      } catch (error) {
        if (status(error) === 404) return undefined;
        throw error;
      }
    });
  }

  async saveDiagnostics(incidentId: string, body: string, options: CallOptions = {}): Promise<string> {
    await this.ensure(options.abortSignal);
    const name = `incidents/${incidentId}.json`;
    await guard("save diagnostics", () =>
      this.t.diagnostics.getBlockBlobClient(name).upload(body, Buffer.byteLength(body), {
        blobHTTPHeaders: { blobContentType: "application/json" },
        abortSignal: options.abortSignal,
      }),
    );
    return name;
  }

  async getDiagnostics(incidentId: string, options: CallOptions = {}): Promise<string | undefined> {
    await this.ensure(options.abortSignal);
    return guard("read diagnostics", async () => {
      try {
        return (
          await this.t.diagnostics
            .getBlobClient(`incidents/${incidentId}.json`)
            .downloadToBuffer(undefined, undefined, { abortSignal: options.abortSignal })
        ).toString("utf8");
      } catch (error) {
        if (status(error) === 404) return undefined;
        throw error;
      }
    });
  }

  // --- documents ------------------------------------------------------------------------------

  /**
   * Where a document goes: its own column when it fits one, else a blob the row names. Each write gets
   * a blob of its own (a fresh name), never one a row already points to, so the row's ETag still guards
   * the document: a write that loses its ETag race removes only its own blob, and the winner removes
   * the blob its row named before. A blob left by a crash in between is unreferenced, not wrong.
   */
  private async place(
    owner: string,
    column: "doc" | "raw",
    text: string,
    signal: AbortSignal | undefined,
  ): Promise<{ columns: Record<string, string>; blob?: string }> {
    if (text.length <= MAX_INLINE_CHARS) return { columns: { [column]: text } };
    const blob = `documents/${hash(owner)}/${column}-${randomUUID()}.json`;
    await this.t.diagnostics.getBlockBlobClient(blob).upload(text, Buffer.byteLength(text), {
      blobHTTPHeaders: { blobContentType: "application/json" },
      abortSignal: signal,
    });
    return { columns: { [`${column}Blob`]: blob }, blob };
  }

  /**
   * Best effort: a blob that stays behind is only unreferenced storage. Deliberately not given the
   * caller's signal: this clean-up mostly runs because a write failed or was aborted, and an aborted
   * signal would cancel it too and leave exactly the blob it is there to remove.
   */
  private async discard(written: { blob?: string | undefined }[]): Promise<void> {
    await Promise.all(
      written.map(async ({ blob }) => {
        if (!blob) return;
        await this.t.diagnostics
          .getBlobClient(blob)
          .deleteIfExists()
          .catch(() => undefined);
      }),
    );
  }

  /** A document's text, inline or from its blob; MOVED when the blob was replaced since the row was read. */
  private async text(
    inline: string | undefined,
    blob: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<string | typeof MOVED> {
    if (!blob) return inline ?? "";
    try {
      return (
        await this.t.diagnostics
          .getBlobClient(blob)
          .downloadToBuffer(undefined, undefined, { abortSignal: signal })
      ).toString("utf8");
    } catch (error) {
      if (status(error) === 404) return MOVED;
      throw error;
    }
  }

  private async readIncident(
    id: string,
    signal: AbortSignal | undefined,
  ): Promise<{ incident: Incident; entity: DocEntity } | undefined> {
    for (let attempt = 0; attempt < MAX_MOVED_RETRIES; attempt++) {
      const entity = await getOrUndefined<DocEntity>(this.t.incidents, "incident", id, signal);
      if (!entity) return undefined;
      const doc = await this.text(entity.doc, entity.docBlob, signal);
      if (doc === MOVED) continue;
      return { incident: parseDoc<Incident>(`the stored incident ${id}`, doc), entity };
    }
    throw new OpsError("Conflict", `incident ${id} kept changing under us`, { retryable: true });
  }

  private async listIncidentDocs(filter: string, signal: AbortSignal | undefined): Promise<Incident[]> {
    const found: Incident[] = [];
    for await (const entity of this.t.incidents.listEntities<DocEntity>({
      queryOptions: { filter },
      abortSignal: signal,
    })) {
      const doc = await this.text(entity.doc, entity.docBlob, signal);
      if (doc !== MOVED) found.push(parseDoc<Incident>(`the stored incident ${entity.rowKey}`, doc));
      else {
        // Updated while we listed: its current version, if it is still there.
        const current = await this.readIncident(entity.rowKey, signal);
        if (current) found.push(current.incident);
      }
    }
    return found;
  }

  private async readNotification(
    incidentId: string,
    id: string,
    signal: AbortSignal | undefined,
  ): Promise<{ record: NotificationRecord; entity: DocEntity } | undefined> {
    for (let attempt = 0; attempt < MAX_MOVED_RETRIES; attempt++) {
      const entity = await getOrUndefined<DocEntity>(this.t.notifications, incidentId, rowKeyOf(id), signal);
      if (!entity) return undefined;
      const doc = await this.text(entity.doc, entity.docBlob, signal);
      if (doc === MOVED) continue;
      const record = parseDoc<NotificationRecord>(`the stored notification ${id} of ${incidentId}`, doc);
      return { record, entity };
    }
    throw new OpsError("Conflict", `notification ${id} of ${incidentId} kept changing under us`, {
      retryable: true,
    });
  }
}

/** The columns the incident is queried by; the document itself is placed by `place`. */
function columns(incident: Incident): Record<string, unknown> {
  return {
    status: incident.status,
    openedAt: incident.openedAt,
    priority: incident.priority,
  };
}

function hash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Row keys may not contain / \ # ? or control characters. */
function rowKeyOf(id: string): string {
  return encodeURIComponent(id).replace(/%/g, "_");
}

function capped(text: string): string {
  return text.length > MAX_PROPERTY_CHARS ? text.slice(0, MAX_PROPERTY_CHARS) : text;
}

function secondsToNextHour(now: Date): number {
  return 3600 - (now.getUTCMinutes() * 60 + now.getUTCSeconds());
}

function status(error: unknown): number | undefined {
  return error instanceof RestError ? error.statusCode : undefined;
}

async function getOrUndefined<T extends object>(
  table: TableClient,
  pk: string,
  rk: string,
  signal: AbortSignal | undefined,
): Promise<(T & { etag: string }) | undefined> {
  try {
    return await table.getEntity<T>(pk, rk, { abortSignal: signal });
  } catch (error) {
    if (status(error) === 404) return undefined;
    throw error;
  }
}

/** An abort while waiting for the store, in the same shape as `guard` gives an aborted SDK call. */
function aborted(signal: AbortSignal): OpsError {
  return new OpsError("StoreFailed", "the incident store call was aborted", {
    cause: signal.reason,
    retryable: true,
  });
}

async function ignore409(operation: Promise<unknown>): Promise<void> {
  try {
    await operation;
  } catch (error) {
    if (status(error) !== 409) throw error;
  }
}

async function guard<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof OpsError) throw error;
    const code = status(error);
    throw new OpsError("StoreFailed", `could not ${what}${code ? ` (storage answered ${code})` : ""}`, {
      cause: error,
      retryable: code === undefined || code >= 500 || code === 429 || code === 409 || code === 412,
    });
  }
}

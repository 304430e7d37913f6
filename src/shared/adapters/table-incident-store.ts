import { createHash, randomUUID } from "node:crypto";
import { RestError } from "@azure/core-rest-pipeline";
import type { TableClient } from "@azure/data-tables";
import type { ContainerClient } from "@azure/storage-blob";
import { OpsError } from "../errors.ts";
import type { AlertRecord, Incident, IncidentEvent, NotificationRecord } from "../incidents/model.ts";
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

/** A table property holds at most 64 KiB (32 K UTF-16 characters). */
const MAX_PROPERTY_CHARS = 30_000;
const MAX_CONFLICT_RETRIES = 20;
/** Incident ids remembered per minute of openings: about 25 characters each, well within a property. */
const MAX_TRACKED_OPENINGS = 1000;

interface DocEntity {
  partitionKey: string;
  rowKey: string;
  doc: string;
  etag?: string;
}

/**
 * Incidents, their alerts, history and outbox in Table storage; diagnostics as blobs. Every
 * read-modify-write is guarded by the entity's ETag and retried on conflict.
 */
export class TableIncidentStore implements IncidentStore {
  private ready: Promise<void> | undefined;

  constructor(private readonly t: IncidentTables) {}

  private ensure(): Promise<void> {
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
      () => undefined,
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

  async insertAlert(record: AlertRecord): Promise<"inserted" | "exists"> {
    await this.ensure();
    return guard("record the alert", async () => {
      try {
        await this.t.alerts.createEntity({
          partitionKey: record.key.slice(0, 2),
          rowKey: record.key,
          doc: capped(JSON.stringify({ ...record, raw: undefined })),
          raw: capped(record.raw),
          status: record.status,
        });
        return "inserted";
      } catch (error) {
        if (status(error) === 409) return "exists";
        throw error;
      }
    });
  }

  async getAlert(key: string): Promise<AlertRecord | undefined> {
    await this.ensure();
    return guard("read the alert", async () => {
      const entity = await getOrUndefined<{ doc: string; raw: string; status: string; incidentId?: string }>(
        this.t.alerts,
        key.slice(0, 2),
        key,
      );
      if (!entity) return undefined;
      const record = JSON.parse(entity.doc) as AlertRecord;
      const status = entity.status as AlertRecord["status"];
      return { ...record, raw: entity.raw, status, incidentId: entity.incidentId || null };
    });
  }

  async markAlertProcessed(key: string, incidentId: string | null): Promise<void> {
    await this.ensure();
    // Status and incident are columns of their own, so marking is one write and no read.
    await guard("mark the alert processed", () =>
      this.t.alerts.updateEntity(
        { partitionKey: key.slice(0, 2), rowKey: key, status: "processed", incidentId: incidentId ?? "" },
        "Merge",
      ),
    );
  }

  async findIncidentKey(dedupKey: string): Promise<string | undefined> {
    await this.ensure();
    return guard(
      "read the incident key",
      async () =>
        (await getOrUndefined<{ incidentId: string }>(this.t.keys, "key", hash(dedupKey)))?.incidentId,
    );
  }

  async claimIncidentKey(
    dedupKey: string,
    incidentId: string,
  ): Promise<{ created: boolean; incidentId: string }> {
    await this.ensure();
    const rowKey = hash(dedupKey);
    return guard("claim the incident key", async () => {
      // Most alerts join an incident that is already open: read first, write only to open one.
      const open = await getOrUndefined<{ incidentId: string }>(this.t.keys, "key", rowKey);
      if (open) return { created: false, incidentId: open.incidentId };
      for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
        try {
          await this.t.keys.createEntity({
            partitionKey: "key",
            rowKey,
            incidentId,
            dedupKey: capped(dedupKey),
          });
          return { created: true, incidentId };
        } catch (error) {
          if (status(error) !== 409) throw error;
        }
        const existing = await getOrUndefined<{ incidentId: string }>(this.t.keys, "key", rowKey);
        // Released between our insert and our read: try again to be the one that opens.
        if (existing) return { created: false, incidentId: existing.incidentId };
      }
      throw new OpsError("Conflict", `could not claim incident key ${dedupKey}`, { retryable: true });
    });
  }

  async releaseIncidentKey(dedupKey: string, incidentId: string): Promise<void> {
    await this.ensure();
    const rowKey = hash(dedupKey);
    await guard("release the incident key", async () => {
      const existing = await getOrUndefined<{ incidentId: string; etag: string }>(this.t.keys, "key", rowKey);
      // Only the incident that holds the key frees it, and only the version it read.
      if (!existing || existing.incidentId !== incidentId) return;
      try {
        await this.t.keys.deleteEntity("key", rowKey, { etag: existing.etag });
      } catch (error) {
        if (status(error) !== 404 && status(error) !== 412) throw error;
      }
    });
  }

  async createIncident(incident: Incident): Promise<"created" | "exists"> {
    await this.ensure();
    return guard("create the incident", async () => {
      try {
        await this.t.incidents.createEntity({
          partitionKey: "incident",
          rowKey: incident.id,
          ...columns(incident),
        });
        return "created";
      } catch (error) {
        if (status(error) === 409) return "exists";
        throw error;
      }
    });
  }

  async getIncident(id: string): Promise<Incident | undefined> {
    await this.ensure();
    if (!/^[\w-]{1,80}$/.test(id)) return undefined;
    return guard("read the incident", async () => {
      const entity = await getOrUndefined<DocEntity>(this.t.incidents, "incident", id);
      return entity ? (JSON.parse(entity.doc) as Incident) : undefined;
    });
  }

  async updateIncident(id: string, change: (current: Incident) => Incident | undefined): Promise<Incident> {
    await this.ensure();
    return guard("update the incident", async () => {
      for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
        const entity = await getOrUndefined<DocEntity>(this.t.incidents, "incident", id);
        if (!entity) throw new OpsError("NotFound", `no incident ${id}`, { details: { incidentId: id } });
        const current = JSON.parse(entity.doc) as Incident;
        const next = change(structuredClone(current));
        if (!next) return current;
        try {
          await this.t.incidents.updateEntity(
            { partitionKey: "incident", rowKey: id, ...columns(next) },
            "Replace",
            { etag: entity.etag },
          );
          return next;
        } catch (error) {
          if (status(error) !== 412) throw error;
          // Someone else changed it first: read again and re-apply on top of their version.
        }
      }
      throw new OpsError("Conflict", `incident ${id} kept changing under us`, { retryable: true });
    });
  }

  async listIncidents(options: { status?: Incident["status"]; limit: number }): Promise<Incident[]> {
    await this.ensure();
    return guard("list incidents", async () => {
      const filter = options.status
        ? `PartitionKey eq 'incident' and status eq '${options.status}'`
        : `PartitionKey eq 'incident'`;
      const found: Incident[] = [];
      for await (const entity of this.t.incidents.listEntities<DocEntity>({ queryOptions: { filter } })) {
        found.push(JSON.parse(entity.doc) as Incident);
      }
      return found.sort((a, b) => b.openedAt.localeCompare(a.openedAt)).slice(0, options.limit);
    });
  }

  async listIncidentsOpenedBetween(from: string, to: string): Promise<Incident[]> {
    await this.ensure();
    return guard("list incidents", async () => {
      const filter = `PartitionKey eq 'incident' and openedAt ge '${from}' and openedAt lt '${to}'`;
      const found: Incident[] = [];
      for await (const entity of this.t.incidents.listEntities<DocEntity>({ queryOptions: { filter } })) {
        found.push(JSON.parse(entity.doc) as Incident);
      }
      return found.sort((a, b) => a.openedAt.localeCompare(b.openedAt));
    });
  }

  async appendEvent(incidentId: string, event: IncidentEvent): Promise<void> {
    await this.ensure();
    await guard("append to the incident history", async () => {
      try {
        await this.t.events.createEntity({
          partitionKey: incidentId,
          // An event with an id is inserted once; the history is read back in time order.
          rowKey: event.id ? `id|${rowKeyOf(event.id)}` : `${event.at}|${randomUUID().slice(0, 8)}`,
          type: event.type,
          by: event.by.slice(0, 500),
          detail: capped(event.detail),
          at: event.at,
        });
      } catch (error) {
        if (!(event.id && status(error) === 409)) throw error;
      }
    });
  }

  async listEvents(incidentId: string): Promise<IncidentEvent[]> {
    await this.ensure();
    return guard("read the incident history", async () => {
      const events: IncidentEvent[] = [];
      const filter = `PartitionKey eq '${incidentId.replace(/'/g, "''")}'`;
      for await (const e of this.t.events.listEntities<IncidentEvent>({ queryOptions: { filter } })) {
        events.push({ at: e.at, type: e.type, by: e.by, detail: e.detail });
      }
      // Stable: events of the same instant keep the order Table storage returns them in.
      return events.sort((a, b) => a.at.localeCompare(b.at));
    });
  }

  async insertNotification(record: NotificationRecord): Promise<"inserted" | "exists"> {
    await this.ensure();
    return guard("queue the notification", async () => {
      try {
        await this.t.notifications.createEntity({
          partitionKey: record.incidentId,
          rowKey: rowKeyOf(record.id),
          doc: capped(JSON.stringify(record)),
        });
        return "inserted";
      } catch (error) {
        if (status(error) === 409) return "exists";
        throw error;
      }
    });
  }

  async getNotification(incidentId: string, id: string): Promise<NotificationRecord | undefined> {
    await this.ensure();
    return guard("read the notification", async () => {
      const entity = await getOrUndefined<DocEntity>(this.t.notifications, incidentId, rowKeyOf(id));
      return entity ? (JSON.parse(entity.doc) as NotificationRecord) : undefined;
    });
  }

  async updateNotification(
    incidentId: string,
    id: string,
    patch: Partial<NotificationRecord>,
  ): Promise<void> {
    await this.ensure();
    await guard("update the notification", async () => {
      for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
        const entity = await getOrUndefined<DocEntity>(this.t.notifications, incidentId, rowKeyOf(id));
        if (!entity) return;
        const next = { ...(JSON.parse(entity.doc) as NotificationRecord), ...patch };
        try {
          await this.t.notifications.updateEntity(
            { partitionKey: incidentId, rowKey: rowKeyOf(id), doc: capped(JSON.stringify(next)) },
            "Replace",
            { etag: entity.etag },
          );
          return;
        } catch (error) {
          if (status(error) !== 412) throw error;
        }
      }
    });
  }

  async takeEmailAllowance(
    now: Date,
    perMinute: number,
    perHour: number,
  ): Promise<{ allowed: true } | { allowed: false; retryAfterSeconds: number }> {
    await this.ensure();
    const hour = now.toISOString().slice(0, 13);
    const minute = now.toISOString().slice(14, 16);
    return guard("count the email allowance", async () => {
      // One entity per hour holds the hour's count and each minute's, so one ETag guards both limits.
      for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
        const entity = await getOrUndefined<{ count: number; minutes: string; etag: string }>(
          this.t.limits,
          "email",
          hour,
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
          if (entity) await this.t.limits.updateEntity(next, "Replace", { etag: entity.etag });
          else await this.t.limits.createEntity(next);
          return { allowed: true };
        } catch (error) {
          if (status(error) !== 412 && status(error) !== 409) throw error;
        }
      }
      return { allowed: false, retryAfterSeconds: 1 };
    });
  }

  async countOpening(minute: string, incidentId: string): Promise<number> {
    await this.ensure();
    return guard("count incident openings", async () => {
      for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
        const entity = await getOrUndefined<{ count: number; ids?: string; etag: string }>(
          this.t.limits,
          "openings",
          minute,
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
          if (entity) await this.t.limits.updateEntity(row, "Replace", { etag: entity.etag });
          else await this.t.limits.createEntity(row);
          return count;
        } catch (error) {
          if (status(error) !== 412 && status(error) !== 409) throw error;
        }
      }
      throw new OpsError("Conflict", "could not count incident openings", { retryable: true });
    });
  }

  async savePayload(key: string, raw: string): Promise<string> {
    await this.ensure();
    const name = `payloads/${key}.json`;
    await guard("keep the alert payload", () =>
      this.t.diagnostics
        .getBlockBlobClient(name)
        .upload(raw, Buffer.byteLength(raw), { blobHTTPHeaders: { blobContentType: "application/json" } }),
    );
    return name;
  }

  async readPayload(blob: string): Promise<string | undefined> {
    await this.ensure();
    if (!/^payloads\/[0-9a-f]{64}\.json$/.test(blob)) return undefined;
    return guard("read the alert payload", async () => {
      try {
        return (await this.t.diagnostics.getBlobClient(blob).downloadToBuffer()).toString("utf8");
      } catch (error) {
        if (status(error) === 404) return undefined;
        throw error;
      }
    });
  }

  async saveDiagnostics(incidentId: string, body: string): Promise<string> {
    await this.ensure();
    const name = `incidents/${incidentId}.json`;
    await guard("save diagnostics", () =>
      this.t.diagnostics
        .getBlockBlobClient(name)
        .upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: "application/json" } }),
    );
    return name;
  }

  async getDiagnostics(incidentId: string): Promise<string | undefined> {
    await this.ensure();
    return guard("read diagnostics", async () => {
      try {
        return (
          await this.t.diagnostics.getBlobClient(`incidents/${incidentId}.json`).downloadToBuffer()
        ).toString("utf8");
      } catch (error) {
        if (status(error) === 404) return undefined;
        throw error;
      }
    });
  }
}

function columns(incident: Incident): Record<string, unknown> {
  return {
    doc: JSON.stringify(incident),
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
): Promise<(T & { etag: string }) | undefined> {
  try {
    return await table.getEntity<T>(pk, rk);
  } catch (error) {
    if (status(error) === 404) return undefined;
    throw error;
  }
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

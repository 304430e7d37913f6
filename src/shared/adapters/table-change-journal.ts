import { RestError } from "@azure/core-rest-pipeline";
import type { TableClient } from "@azure/data-tables";
import type { ChangeEvent, ChangeRecord } from "../change-control/model.ts";
import { OpsError } from "../errors.ts";
import { sha256 } from "../hashing.ts";
import type { CallOptions } from "../ports/call-options.ts";
import type { ChangeJournal, ChangeQuery } from "../ports/change-journal.ts";
import { storeError } from "./storage-errors.ts";
import { ignoreConflict } from "./table-run-history.ts";

interface ChangeEntity {
  partitionKey: string;
  rowKey: string;
  etag?: string;
  environment: string;
  resourceId: string;
  status: string;
  createdAt: string;
  doc: string;
}

/** A record is a few plans and states: far below a property's 64 KiB, and refused on write if not. */
const MAX_DOC_CHARS = 30_000;
const MAX_CONFLICT_RETRIES = 20;

/**
 * The audit trail in Table storage: a row per change (the whole record as JSON, the fields it is
 * filtered on as columns), a row per natural key pointing at its change (insert-only: the first
 * request wins), and the change's steps as rows of their own that are only ever added.
 */
export class TableChangeJournal implements ChangeJournal {
  private ready: Promise<void> | undefined;

  constructor(private readonly t: { changes: TableClient; keys: TableClient; events: TableClient }) {}

  private ensure(): Promise<void> {
    this.ready ??= Promise.all([
      ignoreConflict(this.t.changes.createTable()),
      ignoreConflict(this.t.keys.createTable()),
      ignoreConflict(this.t.events.createTable()),
    ]).then(
      () => undefined,
      (error: unknown) => {
        this.ready = undefined;
        throw storeError("could not prepare the change journal", error);
      },
    );
    return this.ready;
  }

  async claim(
    record: ChangeRecord,
    options: CallOptions = {},
  ): Promise<{ created: boolean; record: ChangeRecord }> {
    await this.ensure();
    const keyRow = sha256(record.key);
    try {
      // The record first, then its key: a key row never points at a record that is not there.
      await this.t.changes.createEntity(toEntity(record), { abortSignal: options.abortSignal });
      try {
        await this.t.keys.createEntity(
          { partitionKey: "key", rowKey: keyRow, changeId: record.id },
          { abortSignal: options.abortSignal },
        );
        return { created: true, record };
      } catch (error) {
        if (!(error instanceof RestError && error.statusCode === 409)) throw error;
      }
      // Another request holds the key: this record was never a change.
      await this.t.changes
        .deleteEntity("change", record.id, { abortSignal: options.abortSignal })
        .catch(() => undefined);
      const holder = await this.t.keys.getEntity<{ changeId: string }>("key", keyRow, {
        abortSignal: options.abortSignal,
      });
      const existing = await this.get(holder.changeId, options);
      if (!existing)
        throw new OpsError("StoreFailed", `change key ${record.key} points at a missing change`, {
          retryable: true,
        });
      return { created: false, record: existing };
    } catch (error) {
      if (error instanceof OpsError) throw error;
      throw storeError(`could not record change ${record.id}`, error);
    }
  }

  async get(id: string, options: CallOptions = {}): Promise<ChangeRecord | undefined> {
    await this.ensure();
    try {
      const entity = await this.t.changes.getEntity<ChangeEntity>("change", id, {
        abortSignal: options.abortSignal,
      });
      return fromEntity(entity);
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw storeError(`could not read change ${id}`, error);
    }
  }

  async update(
    id: string,
    change: (current: ChangeRecord) => ChangeRecord,
    options: CallOptions = {},
  ): Promise<ChangeRecord> {
    await this.ensure();
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      let entity: ChangeEntity;
      try {
        entity = await this.t.changes.getEntity<ChangeEntity>("change", id, {
          abortSignal: options.abortSignal,
        });
      } catch (error) {
        if (error instanceof RestError && error.statusCode === 404)
          throw new OpsError("NotFound", `no change ${id}`);
        throw storeError(`could not read change ${id}`, error);
      }
      const next = change(fromEntity(entity));
      try {
        await this.t.changes.updateEntity(toEntity(next), "Replace", {
          etag: entity.etag,
          abortSignal: options.abortSignal,
        });
        return next;
      } catch (error) {
        if (error instanceof RestError && error.statusCode === 412) continue;
        throw storeError(`could not update change ${id}`, error);
      }
    }
    throw new OpsError("Conflict", `change ${id} kept changing under us`, { retryable: true });
  }

  async list(query: ChangeQuery, options: CallOptions = {}): Promise<ChangeRecord[]> {
    await this.ensure();
    const filters = ["PartitionKey eq 'change'"];
    if (query.environment) filters.push(`environment eq '${escape(query.environment)}'`);
    if (query.resourceId) filters.push(`resourceId eq '${escape(query.resourceId.toLowerCase())}'`);
    if (query.status) filters.push(`status eq '${escape(query.status)}'`);
    if (query.since) filters.push(`createdAt ge '${escape(query.since)}'`);
    const out: ChangeRecord[] = [];
    try {
      for await (const entity of this.t.changes.listEntities<ChangeEntity>({
        queryOptions: { filter: filters.join(" and ") },
        abortSignal: options.abortSignal,
      })) {
        out.push(fromEntity(entity));
      }
    } catch (error) {
      throw storeError("could not list changes", error);
    }
    out.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
    return out.slice(0, query.limit ?? 100);
  }

  async appendEvent(id: string, event: ChangeEvent, options: CallOptions = {}): Promise<void> {
    await this.ensure();
    try {
      await this.t.events.createEntity(
        { partitionKey: id, rowKey: `${event.at}|${sha256(JSON.stringify(event)).slice(0, 12)}`, ...event },
        { abortSignal: options.abortSignal },
      );
    } catch (error) {
      // The same event again (a retried step) is already there: append-only, and once.
      if (error instanceof RestError && error.statusCode === 409) return;
      throw storeError(`could not record a step of change ${id}`, error);
    }
  }

  async listEvents(id: string, options: CallOptions = {}): Promise<ChangeEvent[]> {
    await this.ensure();
    const out: ChangeEvent[] = [];
    try {
      for await (const e of this.t.events.listEntities<ChangeEvent & { rowKey: string }>({
        queryOptions: { filter: `PartitionKey eq '${escape(id)}'` },
        abortSignal: options.abortSignal,
      })) {
        out.push({ at: e.at, step: e.step, detail: e.detail });
      }
    } catch (error) {
      throw storeError(`could not read the steps of change ${id}`, error);
    }
    return out;
  }
}

function toEntity(record: ChangeRecord): ChangeEntity {
  const doc = JSON.stringify(record);
  if (doc.length > MAX_DOC_CHARS) {
    throw new OpsError(
      "StoreFailed",
      `change ${record.id} is too large to record (${doc.length} characters)`,
    );
  }
  return {
    partitionKey: "change",
    rowKey: record.id,
    environment: record.environment,
    resourceId: record.resourceId.toLowerCase(),
    status: record.status,
    createdAt: record.createdAt,
    doc,
  };
}

function fromEntity(entity: ChangeEntity): ChangeRecord {
  return JSON.parse(entity.doc) as ChangeRecord;
}

function escape(value: string): string {
  return value.replace(/'/g, "''");
}

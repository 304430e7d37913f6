import { RestError } from "@azure/core-rest-pipeline";
import { type TableClient, odata } from "@azure/data-tables";
import { z } from "zod";
import { OpsError } from "../errors.ts";
import type { CallOptions } from "../ports/call-options.ts";
import type { MaintenanceWindowRecord, MaintenanceWindowStore } from "../ports/maintenance-windows.ts";
import { storeError } from "./storage-errors.ts";
import { ignoreConflict } from "./table-run-history.ts";

interface WindowEntity {
  partitionKey: string;
  rowKey: string;
  etag?: string;
  environment: string;
  status: string;
  startedAt: string;
  doc: string;
}

const windowDoc = z.object({
  id: z.string(),
  environment: z.string(),
  status: z.enum(["open", "ended"]),
  startedAt: z.string(),
  plannedEnd: z.string(),
  endedAt: z.string().nullable(),
  openedBy: z.string(),
  endedBy: z.string().nullable(),
  reason: z.string(),
  notification: z.boolean(),
  endNote: z.string().nullable(),
  verification: z.object({ status: z.string(), summary: z.string(), at: z.string() }).nullable(),
}) satisfies z.ZodType<MaintenanceWindowRecord>;

const MAX_CONFLICT_RETRIES = 20;
/** Alert processing asks for open windows once per alert: a storm shares one read per this long. */
const OPEN_CACHE_MS = 2000;

/**
 * Maintenance windows in Table storage: a row per window (the record as JSON, its status and
 * environment as columns), replaced under its ETag. Open windows are read by every alert; a read is
 * shared for two seconds by one process (this process's own writes are seen at once; another
 * instance's within those two seconds).
 */
export class TableMaintenanceWindows implements MaintenanceWindowStore {
  private ready: Promise<void> | undefined;
  private open: { at: number; windows: Promise<MaintenanceWindowRecord[]> } | undefined;

  constructor(
    private readonly table: TableClient,
    private readonly now: () => number = Date.now,
  ) {}

  private ensure(): Promise<void> {
    this.ready ??= ignoreConflict(this.table.createTable()).catch((error: unknown) => {
      this.ready = undefined;
      throw storeError("could not prepare the maintenance windows table", error);
    });
    return this.ready;
  }

  async create(window: MaintenanceWindowRecord, options: CallOptions = {}): Promise<void> {
    await this.ensure();
    this.open = undefined;
    try {
      await this.table.createEntity(toEntity(window), { abortSignal: options.abortSignal });
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 409) return;
      throw storeError(`could not record maintenance window ${window.id}`, error);
    }
  }

  async get(id: string, options: CallOptions = {}): Promise<MaintenanceWindowRecord | undefined> {
    return (await this.read(id, options))?.record;
  }

  private async read(
    id: string,
    options: CallOptions,
  ): Promise<{ record: MaintenanceWindowRecord; etag: string } | undefined> {
    await this.ensure();
    try {
      const entity = await this.table.getEntity<WindowEntity>("window", id, {
        abortSignal: options.abortSignal,
      });
      return { record: fromEntity(entity), etag: entity.etag };
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw storeError(`could not read maintenance window ${id}`, error);
    }
  }

  async update(
    id: string,
    change: (current: MaintenanceWindowRecord) => MaintenanceWindowRecord | undefined,
    options: CallOptions = {},
  ): Promise<MaintenanceWindowRecord> {
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const current = await this.read(id, options);
      if (!current) throw new OpsError("NotFound", `no maintenance window ${id}`);
      const next = change(structuredClone(current.record));
      if (!next) return current.record;
      this.open = undefined;
      try {
        await this.table.updateEntity(toEntity(next), "Replace", {
          etag: current.etag,
          abortSignal: options.abortSignal,
        });
        return next;
      } catch (error) {
        if (error instanceof RestError && error.statusCode === 412) continue;
        throw storeError(`could not update maintenance window ${id}`, error);
      }
    }
    throw new OpsError("StoreFailed", `maintenance window ${id} kept changing under this update`, {
      retryable: true,
    });
  }

  async listOpen(options: CallOptions & { environment?: string } = {}): Promise<MaintenanceWindowRecord[]> {
    const now = this.now();
    if (!this.open || now - this.open.at > OPEN_CACHE_MS) {
      const windows = this.query(odata`PartitionKey eq 'window' and status eq 'open'`, 500, options);
      this.open = { at: now, windows };
      windows.catch(() => {
        this.open = undefined;
      });
    }
    const open = await this.open.windows;
    return open.filter((w) => options.environment === undefined || w.environment === options.environment);
  }

  async listRecent(options: CallOptions & { limit?: number } = {}): Promise<MaintenanceWindowRecord[]> {
    return this.query(odata`PartitionKey eq 'window'`, 1000, options).then((all) =>
      all.slice(0, options.limit ?? 50),
    );
  }

  private async query(filter: string, max: number, options: CallOptions): Promise<MaintenanceWindowRecord[]> {
    await this.ensure();
    const found: MaintenanceWindowRecord[] = [];
    try {
      for await (const entity of this.table.listEntities<WindowEntity>({
        queryOptions: { filter },
        abortSignal: options.abortSignal,
      })) {
        found.push(fromEntity(entity));
        if (found.length >= max) break;
      }
    } catch (error) {
      throw storeError("could not list maintenance windows", error);
    }
    return found.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }
}

function toEntity(window: MaintenanceWindowRecord): WindowEntity {
  return {
    partitionKey: "window",
    rowKey: window.id,
    environment: window.environment,
    status: window.status,
    startedAt: window.startedAt,
    doc: JSON.stringify(window),
  };
}

function fromEntity(entity: WindowEntity): MaintenanceWindowRecord {
  const parsed = windowDoc.safeParse(JSON.parse(entity.doc));
  if (!parsed.success)
    throw new OpsError("StoreFailed", `maintenance window ${entity.rowKey} is not readable`);
  return parsed.data;
}

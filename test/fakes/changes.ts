import type { ChangeEvent, ChangeRecord } from "../../src/shared/change-control/model.ts";
import { OpsError } from "../../src/shared/errors.ts";
import type { ChangeJournal, ChangeQuery } from "../../src/shared/ports/change-journal.ts";
import type { ResourceLeases } from "../../src/shared/ports/resource-leases.ts";

/** The audit trail in memory, answering as the Table adapter does (contract: test/contract/change-control). */
export class MemoryChangeJournal implements ChangeJournal {
  readonly records = new Map<string, ChangeRecord>();
  readonly keys = new Map<string, string>();
  readonly events = new Map<string, ChangeEvent[]>();
  /** The next update throws this once (a storage outage at the worst moment). */
  failNextUpdate: Error | undefined;

  async claim(record: ChangeRecord): Promise<{ created: boolean; record: ChangeRecord }> {
    const holder = this.keys.get(record.key);
    if (holder) return { created: false, record: structuredClone(this.records.get(holder)!) };
    this.keys.set(record.key, record.id);
    this.records.set(record.id, structuredClone(record));
    return { created: true, record: structuredClone(record) };
  }

  async get(id: string): Promise<ChangeRecord | undefined> {
    const record = this.records.get(id);
    return record ? structuredClone(record) : undefined;
  }

  async update(id: string, change: (current: ChangeRecord) => ChangeRecord): Promise<ChangeRecord> {
    if (this.failNextUpdate) {
      const error = this.failNextUpdate;
      this.failNextUpdate = undefined;
      throw error;
    }
    const current = this.records.get(id);
    if (!current) throw new OpsError("NotFound", `no change ${id}`);
    const next = change(structuredClone(current));
    this.records.set(id, structuredClone(next));
    return structuredClone(next);
  }

  async list(query: ChangeQuery): Promise<ChangeRecord[]> {
    return [...this.records.values()]
      .filter(
        (r) =>
          (!query.environment || r.environment === query.environment) &&
          (!query.resourceId || r.resourceId.toLowerCase() === query.resourceId.toLowerCase()) &&
          (!query.status || r.status === query.status) &&
          (!query.since || r.createdAt >= query.since),
      )
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id))
      .slice(0, query.limit ?? 100)
      .map((r) => structuredClone(r));
  }

  async appendEvent(id: string, event: ChangeEvent): Promise<void> {
    const list = this.events.get(id) ?? [];
    if (!list.some((e) => e.at === event.at && e.step === event.step && e.detail === event.detail))
      list.push({ ...event });
    this.events.set(id, list);
  }

  async listEvents(id: string): Promise<ChangeEvent[]> {
    return [...(this.events.get(id) ?? [])].sort((a, b) => a.at.localeCompare(b.at));
  }
}

export class MemoryLeases implements ResourceLeases {
  readonly held = new Map<string, { holder: string; expiresAt: number }>();
  constructor(private readonly now: () => Date = () => new Date()) {}
  async acquire(resourceId: string, holder: string, ttlInMs: number): Promise<boolean> {
    const key = resourceId.toLowerCase();
    const current = this.held.get(key);
    if (current && current.holder !== holder && current.expiresAt > this.now().getTime()) return false;
    this.held.set(key, { holder, expiresAt: this.now().getTime() + ttlInMs });
    return true;
  }
  async release(resourceId: string, holder: string): Promise<void> {
    const key = resourceId.toLowerCase();
    if (this.held.get(key)?.holder === holder) this.held.delete(key);
  }
}

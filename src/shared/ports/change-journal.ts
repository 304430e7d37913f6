import type { ChangeEvent, ChangeRecord, ChangeStatus } from "../change-control/model.ts";
import type { CallOptions } from "./call-options.ts";

export interface ChangeQuery {
  environment?: string;
  resourceId?: string;
  status?: ChangeStatus;
  /** ISO 8601: only changes created at or after. */
  since?: string;
  limit?: number;
}

/**
 * The audit trail of estate changes: a record per change, claimed by its natural key (so a repeated
 * request finds the first change), updated with ETags, and an append-only list of its steps.
 */
export interface ChangeJournal {
  /** Creates the record unless its key has one already; answers the record that holds the key. */
  claim(record: ChangeRecord, options?: CallOptions): Promise<{ created: boolean; record: ChangeRecord }>;
  get(id: string, options?: CallOptions): Promise<ChangeRecord | undefined>;
  /** Applies `change` to the current version; retried on an ETag conflict. */
  update(
    id: string,
    change: (current: ChangeRecord) => ChangeRecord,
    options?: CallOptions,
  ): Promise<ChangeRecord>;
  /** Newest first. */
  list(query: ChangeQuery, options?: CallOptions): Promise<ChangeRecord[]>;
  appendEvent(id: string, event: ChangeEvent, options?: CallOptions): Promise<void>;
  /** Oldest first. */
  listEvents(id: string, options?: CallOptions): Promise<ChangeEvent[]>;
}

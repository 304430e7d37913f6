import { RestError } from "@azure/core-rest-pipeline";
import { type TableClient, odata } from "@azure/data-tables";
import { z } from "zod";
import { OpsError } from "../errors.ts";
import type { CallOptions } from "../ports/call-options.ts";
import type { ReleaseEntry, ReleaseLedger, VerificationOutcome } from "../ports/release-ledger.ts";
import { storeError } from "./storage-errors.ts";
import { ignoreConflict } from "./table-run-history.ts";

interface ReleaseEntity {
  partitionKey: string;
  rowKey: string;
  etag?: string;
  siteId: string;
  at: string;
  doc: string;
}

const outcome = z.enum(["passed", "failed", "unknown", "pending", "skipped"]);
const entryDoc = z.object({
  id: z.string(),
  siteId: z.string(),
  siteName: z.string(),
  environment: z.string(),
  version: z.string(),
  package: z.string().nullable(),
  kind: z.enum(["live", "staged"]),
  slot: z.string(),
  at: z.string(),
  by: z.string(),
  via: z.string(),
  verification: outcome,
  verificationSummary: z.string().nullable(),
  changeId: z.string().nullable(),
}) satisfies z.ZodType<ReleaseEntry>;

/** The release ledger in Table storage: a row per entry, its site as a column, updated under ETags. */
export class TableReleaseLedger implements ReleaseLedger {
  private ready: Promise<void> | undefined;

  constructor(private readonly table: TableClient) {}

  private ensure(): Promise<void> {
    this.ready ??= ignoreConflict(this.table.createTable()).catch((error: unknown) => {
      this.ready = undefined;
      throw storeError("could not prepare the release ledger", error);
    });
    return this.ready;
  }

  async record(entry: ReleaseEntry, options: CallOptions = {}): Promise<void> {
    await this.ensure();
    try {
      await this.table.createEntity(toEntity(entry), { abortSignal: options.abortSignal });
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 409) return;
      throw storeError(`could not record release ${entry.id}`, error);
    }
  }

  async setVerification(
    id: string,
    verification: VerificationOutcome,
    summary: string,
    options: CallOptions = {},
  ): Promise<void> {
    await this.ensure();
    for (let attempt = 0; attempt < 20; attempt++) {
      let entity: ReleaseEntity & { etag: string };
      try {
        entity = await this.table.getEntity<ReleaseEntity>("release", id, {
          abortSignal: options.abortSignal,
        });
      } catch (error) {
        if (error instanceof RestError && error.statusCode === 404)
          throw new OpsError("NotFound", `no release ${id}`);
        throw storeError(`could not read release ${id}`, error);
      }
      const next = { ...fromEntity(entity), verification, verificationSummary: summary };
      try {
        await this.table.updateEntity(toEntity(next), "Replace", {
          etag: entity.etag,
          abortSignal: options.abortSignal,
        });
        return;
      } catch (error) {
        if (error instanceof RestError && error.statusCode === 412) continue;
        throw storeError(`could not update release ${id}`, error);
      }
    }
    throw new OpsError("StoreFailed", `release ${id} kept changing under this update`, { retryable: true });
  }

  async get(id: string, options: CallOptions = {}): Promise<ReleaseEntry | undefined> {
    await this.ensure();
    try {
      return fromEntity(
        await this.table.getEntity<ReleaseEntity>("release", id, { abortSignal: options.abortSignal }),
      );
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw storeError(`could not read release ${id}`, error);
    }
  }

  async list(options: CallOptions & { siteId?: string; limit?: number } = {}): Promise<ReleaseEntry[]> {
    await this.ensure();
    const filter = options.siteId
      ? odata`PartitionKey eq 'release' and siteId eq ${options.siteId.toLowerCase()}`
      : odata`PartitionKey eq 'release'`;
    const found: ReleaseEntry[] = [];
    try {
      for await (const entity of this.table.listEntities<ReleaseEntity>({
        queryOptions: { filter },
        abortSignal: options.abortSignal,
      })) {
        found.push(fromEntity(entity));
      }
    } catch (error) {
      throw storeError("could not list releases", error);
    }
    return found
      .sort((a, b) => b.at.localeCompare(a.at) || b.id.localeCompare(a.id))
      .slice(0, options.limit ?? 100);
  }
}

function toEntity(entry: ReleaseEntry): ReleaseEntity {
  return {
    partitionKey: "release",
    rowKey: entry.id,
    siteId: entry.siteId.toLowerCase(),
    at: entry.at,
    doc: JSON.stringify(entry),
  };
}

function fromEntity(entity: ReleaseEntity): ReleaseEntry {
  const parsed = entryDoc.safeParse(JSON.parse(entity.doc));
  if (!parsed.success) throw new OpsError("StoreFailed", `release ${entity.rowKey} is not readable`);
  return parsed.data;
}

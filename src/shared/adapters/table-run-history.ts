import { RestError } from "@azure/core-rest-pipeline";
import type { TableClient } from "@azure/data-tables";
import type { ContainerClient } from "@azure/storage-blob";
import type { CallOptions } from "../ports/call-options.ts";
import type { RunHistory, RunRecord } from "../ports/run-history.ts";
import { storeError } from "./storage-errors.ts";

interface RunEntity {
  partitionKey: string;
  rowKey: string;
  procedure: string;
  scope: string;
  runId: string;
  trigger: string;
  status: string;
  startedAt: string;
  finishedAt: string;
  facts: string;
  documentBlob: string;
}

/** Row keys sort ascending, so a reversed timestamp lists the newest run first. */
const MAX_TIME = 9_999_999_999_999;

/**
 * Run history in Table storage (one row per run, summary columns) with the whole document as a JSON
 * blob, since a large estate's report outgrows a table property (64 KiB).
 */
export class TableRunHistory implements RunHistory {
  private ready: Promise<void> | undefined;

  constructor(private readonly clients: { runs: TableClient; documents: ContainerClient }) {}

  private ensure(): Promise<void> {
    // Creating the table and the container is idempotent; remembering the promise only saves round trips.
    this.ready ??= Promise.all([
      ignoreConflict(this.clients.runs.createTable()),
      ignoreConflict(this.clients.documents.createIfNotExists().then(() => undefined)),
    ]).then(
      () => undefined,
      (error: unknown) => {
        this.ready = undefined;
        throw storeError("could not prepare the run history", error);
      },
    );
    return this.ready;
  }

  async saveRun(record: RunRecord, document: unknown, options: CallOptions = {}): Promise<void> {
    await this.ensure();
    const documentBlob = blobName(record.procedure, record.scope, record.runId);
    const body = JSON.stringify(document);
    try {
      await this.clients.documents.getBlockBlobClient(documentBlob).upload(body, Buffer.byteLength(body), {
        blobHTTPHeaders: { blobContentType: "application/json" },
        abortSignal: options.abortSignal,
      });
      const entity: RunEntity = {
        partitionKey: partitionOf(record.procedure, record.scope),
        rowKey: rowKeyFor(record.startedAt, record.runId),
        procedure: record.procedure,
        scope: record.scope,
        runId: record.runId,
        trigger: record.trigger,
        status: record.status,
        startedAt: record.startedAt,
        finishedAt: record.finishedAt,
        facts: JSON.stringify(record.facts),
        documentBlob,
      };
      await this.clients.runs.upsertEntity(entity, "Replace", { abortSignal: options.abortSignal });
    } catch (error) {
      throw storeError(`could not save ${record.procedure} run ${record.runId}`, error);
    }
  }

  async *listRuns(
    procedure: string,
    scope: string,
    options: CallOptions & { limit?: number } = {},
  ): AsyncIterable<RunRecord> {
    await this.ensure();
    const pages = this.clients.runs
      .listEntities<RunEntity>({
        queryOptions: { filter: `PartitionKey eq '${escapeOData(partitionOf(procedure, scope))}'` },
        abortSignal: options.abortSignal,
      })
      .byPage({ maxPageSize: Math.min(options.limit ?? 100, 1000) });
    let seen = 0;
    try {
      for await (const page of pages) {
        for (const e of page) {
          yield {
            procedure: e.procedure,
            scope: e.scope,
            runId: e.runId,
            trigger: e.trigger,
            status: e.status as RunRecord["status"],
            startedAt: e.startedAt,
            finishedAt: e.finishedAt,
            facts: parseFacts(e.facts),
          };
          if (options.limit !== undefined && ++seen >= options.limit) return;
        }
      }
    } catch (error) {
      throw storeError(`could not list ${procedure} runs`, error);
    }
  }

  async getRun(procedure: string, scope: string, runId: string, options: CallOptions = {}): Promise<unknown> {
    await this.ensure();
    try {
      const buffer = await this.clients.documents
        .getBlobClient(blobName(procedure, scope, runId))
        .downloadToBuffer(undefined, undefined, { abortSignal: options.abortSignal });
      return JSON.parse(buffer.toString("utf8")) as unknown;
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw storeError(`could not read ${procedure} run ${runId}`, error);
    }
  }
}

function partitionOf(procedure: string, scope: string): string {
  return `${procedure}|${scope}`;
}

function blobName(procedure: string, scope: string, runId: string): string {
  return `${procedure}/${encodeURIComponent(scope)}/${encodeURIComponent(runId)}.json`;
}

function parseFacts(text: string | undefined): RunRecord["facts"] {
  try {
    const value: unknown = JSON.parse(text ?? "{}");
    return value !== null && typeof value === "object" ? (value as RunRecord["facts"]) : {};
  } catch {
    return {};
  }
}

function rowKeyFor(startedAt: string, runId: string): string {
  const inverted = MAX_TIME - Date.parse(startedAt);
  return `${String(inverted).padStart(13, "0")}|${runId}`;
}

function escapeOData(value: string): string {
  return value.replace(/'/g, "''");
}

export async function ignoreConflict(operation: Promise<unknown>): Promise<void> {
  try {
    await operation;
  } catch (error) {
    if (error instanceof RestError && error.statusCode === 409) return;
    throw error;
  }
}

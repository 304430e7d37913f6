import { RestError } from "@azure/core-rest-pipeline";
import type { TableClient } from "@azure/data-tables";
import type { ContainerClient } from "@azure/storage-blob";
import { OpsError } from "../errors.ts";
import type { HealthReport } from "../health/report.ts";
import type { HealthRunSummary, RunStore } from "../ports/store.ts";

export interface StorageClients {
  runs: TableClient;
  claims: TableClient;
  reports: ContainerClient;
}

interface RunEntity {
  partitionKey: string;
  rowKey: string;
  runId: string;
  environment: string;
  trigger: string;
  status: string;
  startedAt: string;
  finishedAt: string;
  componentCount: number;
  notified: boolean;
  reportBlob: string;
}

/** Row keys sort ascending, so a reversed timestamp lists the newest run first. */
const MAX_TIME = 9_999_999_999_999;

/**
 * Run history in Table storage (one row per run, summary columns) with the whole report as a JSON blob,
 * since a large estate's report outgrows a table property (64 KiB).
 */
export class TableRunStore implements RunStore {
  private ready: Promise<void> | undefined;

  constructor(private readonly clients: StorageClients) {}

  private ensure(): Promise<void> {
    // Creating tables and the container is idempotent; remembering the promise only saves round trips.
    this.ready ??= Promise.all([
      ignoreConflict(this.clients.runs.createTable()),
      ignoreConflict(this.clients.claims.createTable()),
      ignoreConflict(this.clients.reports.createIfNotExists().then(() => undefined)),
    ]).then(
      () => undefined,
      (error: unknown) => {
        this.ready = undefined;
        throw storeError("could not prepare the state store", error);
      },
    );
    return this.ready;
  }

  async saveHealthRun(report: HealthReport): Promise<void> {
    await this.ensure();
    const reportBlob = `health/${report.environment}/${report.runId}.json`;
    const body = JSON.stringify(report);
    try {
      await this.clients.reports
        .getBlockBlobClient(reportBlob)
        .upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: "application/json" } });
      const entity: RunEntity = {
        partitionKey: `health|${report.environment}`,
        rowKey: rowKeyFor(report.startedAt, report.runId),
        runId: report.runId,
        environment: report.environment,
        trigger: report.trigger,
        status: report.status,
        startedAt: report.startedAt,
        finishedAt: report.finishedAt,
        componentCount: report.components.length,
        notified: report.notification?.sent ?? false,
        reportBlob,
      };
      await this.clients.runs.upsertEntity(entity, "Replace");
    } catch (error) {
      throw storeError(`could not save health run ${report.runId}`, error);
    }
  }

  async listHealthRuns(environment: string, options: { limit?: number } = {}): Promise<HealthRunSummary[]> {
    await this.ensure();
    const limit = options.limit ?? 20;
    const out: HealthRunSummary[] = [];
    try {
      const pages = this.clients.runs
        .listEntities<RunEntity>({
          queryOptions: { filter: `PartitionKey eq '${escapeOData(`health|${environment}`)}'` },
        })
        .byPage({ maxPageSize: Math.min(limit, 1000) });
      for await (const page of pages) {
        for (const e of page) {
          out.push({
            runId: e.runId,
            environment: e.environment,
            trigger: e.trigger as HealthRunSummary["trigger"],
            status: e.status as HealthRunSummary["status"],
            startedAt: e.startedAt,
            finishedAt: e.finishedAt,
            componentCount: e.componentCount,
            notified: e.notified,
          });
          if (out.length >= limit) return out;
        }
      }
    } catch (error) {
      throw storeError("could not list health runs", error);
    }
    return out;
  }

  async getHealthRun(environment: string, runId: string): Promise<HealthReport | undefined> {
    await this.ensure();
    try {
      const buffer = await this.clients.reports
        .getBlobClient(`health/${environment}/${runId}.json`)
        .downloadToBuffer();
      return JSON.parse(buffer.toString("utf8")) as HealthReport;
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw storeError(`could not read health run ${runId}`, error);
    }
  }

  async claimScheduledRun(procedure: string, scope: string, period: string, owner: string): Promise<boolean> {
    await this.ensure();
    try {
      await this.clients.claims.createEntity({
        partitionKey: procedure,
        rowKey: `${scope}|${period}`,
        owner,
        claimedAt: new Date().toISOString(),
      });
      return true;
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 409) return false;
      throw storeError(`could not claim ${procedure} for ${scope} ${period}`, error);
    }
  }

  async releaseScheduledRun(procedure: string, scope: string, period: string, owner: string): Promise<void> {
    await this.ensure();
    try {
      const entity = await this.clients.claims.getEntity<{ owner: string; etag: string }>(
        procedure,
        `${scope}|${period}`,
      );
      // Only the owner gives a claim back, and only the version it read (ETag): never someone else's.
      if (entity.owner === owner) {
        await this.clients.claims.deleteEntity(procedure, `${scope}|${period}`, { etag: entity.etag });
      }
    } catch (error) {
      if (error instanceof RestError && (error.statusCode === 404 || error.statusCode === 412)) return;
      throw storeError(`could not release ${procedure} for ${scope} ${period}`, error);
    }
  }
}

function rowKeyFor(startedAt: string, runId: string): string {
  const inverted = MAX_TIME - Date.parse(startedAt);
  return `${String(inverted).padStart(13, "0")}|${runId}`;
}

function escapeOData(value: string): string {
  return value.replace(/'/g, "''");
}

async function ignoreConflict(operation: Promise<unknown>): Promise<void> {
  try {
    await operation;
  } catch (error) {
    if (error instanceof RestError && error.statusCode === 409) return;
    throw error;
  }
}

function storeError(message: string, error: unknown): OpsError {
  const status = error instanceof RestError ? error.statusCode : undefined;
  return new OpsError("StoreFailed", `${message}${status ? ` (storage answered ${status})` : ""}`, {
    cause: error,
    retryable: status === undefined || status >= 500 || status === 429,
  });
}

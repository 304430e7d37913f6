import { isoDurationMs } from "../../src/shared/durations.ts";
import { OpsError } from "../../src/shared/errors.ts";
import type { Clock } from "../../src/shared/ports/clock.ts";
import type { EmailMessage, EmailSender } from "../../src/shared/ports/email-sender.ts";
import type { HealthProbe, ProbeResult } from "../../src/shared/ports/health-probe.ts";
import type {
  MetricDatapoint,
  MetricsQuery,
  MetricsReader,
  ResourceMetrics,
} from "../../src/shared/ports/metrics-reader.ts";
import type { LogTable, LogsReader } from "../../src/shared/ports/logs-reader.ts";
import type {
  MetricSeries,
  MetricSeriesQuery,
  MetricSeriesReader,
} from "../../src/shared/ports/metric-series-reader.ts";
import type { ResourceInventory, ResourceState } from "../../src/shared/ports/resource-inventory.ts";
import type { RunHistory, RunRecord } from "../../src/shared/ports/run-history.ts";
import type { ScheduledRun, ScheduledRunClaims } from "../../src/shared/ports/scheduled-run-claims.ts";

/** In-memory stand-ins for the ports, for operation tests only. */
export class FakeInventory implements ResourceInventory {
  states = new Map<string, ResourceState>();
  /** Ids the fake knows nothing of: reported as not existing, as Resource Manager reports them. */
  missing = new Set<string>();
  failWith: Error | undefined;
  calls = 0;
  async getStates(resourceIds: readonly string[]): Promise<Map<string, ResourceState>> {
    this.calls++;
    if (this.failWith) throw this.failWith;
    return new Map(
      resourceIds.map((id) => [
        id,
        this.states.get(id) ??
          (this.missing.has(id) ? { resourceId: id, exists: false } : undefined) ?? {
            resourceId: id,
            exists: true,
            state: id.includes("databases") ? "Online" : "Running",
          },
      ]),
    );
  }
}

export class FakeMetrics implements MetricsReader {
  /** resourceId → metric name → datapoints */
  values = new Map<string, Record<string, MetricDatapoint[]>>();
  errors = new Map<string, string>();
  failNamespace: string | undefined;
  queries: MetricsQuery[] = [];
  async query(query: MetricsQuery): Promise<Map<string, ResourceMetrics>> {
    this.queries.push(query);
    // As the adapter does with a batch that fails: each of its resources carries the error.
    if (this.failNamespace === query.namespace) {
      return new Map(
        query.resourceIds.map((id) => [
          id,
          { resourceId: id, error: `metrics endpoint down for ${query.namespace}` },
        ]),
      );
    }
    return new Map(
      query.resourceIds.map((id): [string, ResourceMetrics] => {
        const error = this.errors.get(id);
        if (error) return [id, { resourceId: id, error }];
        const metrics = new Map(Object.entries(this.values.get(id) ?? {}));
        return [id, { resourceId: id, metrics }];
      }),
    );
  }
}

export function points(field: "average" | "total" | "maximum", ...values: number[]): MetricDatapoint[] {
  return values.map((v, i) => ({ timeStamp: new Date(Date.UTC(2026, 0, 1, 0, i * 5)), [field]: v }));
}

export class FakeProbe implements HealthProbe {
  results = new Map<string, Omit<ProbeResult, "url">>();
  async probe(url: string): Promise<ProbeResult> {
    return { url, ...(this.results.get(url) ?? { statusCode: 200, durationInMs: 40 }) };
  }
}

export class FakeEmail implements EmailSender {
  sent: EmailMessage[] = [];
  failuresLeft = 0;
  private readonly byKey = new Map<string, string>();
  async send(message: EmailMessage): Promise<{ messageId: string }> {
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new OpsError("EmailFailed", "email service unavailable", { retryable: true });
    }
    // As the email service does with its Operation-Id: the same key again delivers nothing more.
    const known = this.byKey.get(message.idempotencyKey);
    if (known) return { messageId: known };
    this.sent.push(message);
    const messageId = `m${this.sent.length}`;
    this.byKey.set(message.idempotencyKey, messageId);
    return { messageId };
  }
}

export class MemoryRunHistory implements RunHistory {
  runs: { record: RunRecord; document: unknown }[] = [];
  failuresLeft = 0;
  async saveRun(record: RunRecord, document: unknown): Promise<void> {
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error("storage down");
    }
    this.runs.push({ record: structuredClone(record), document: structuredClone(document) });
  }
  async *listRuns(
    procedure: string,
    scope: string,
    options: { limit?: number } = {},
  ): AsyncIterable<RunRecord> {
    const found = this.runs
      .filter((r) => r.record.procedure === procedure && r.record.scope === scope)
      .map((r) => r.record)
      .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
    yield* found.slice(0, options.limit ?? found.length);
  }
  async getRun(procedure: string, scope: string, runId: string): Promise<unknown> {
    const found = this.runs.find(
      (r) => r.record.procedure === procedure && r.record.scope === scope && r.record.runId === runId,
    );
    return found ? structuredClone(found.document) : undefined;
  }
  /** The documents of one procedure's runs, oldest first. */
  documents<T>(procedure: string): T[] {
    return this.runs.filter((r) => r.record.procedure === procedure).map((r) => r.document as T);
  }
}

export class MemoryRunClaims implements ScheduledRunClaims {
  claims = new Map<string, string>();
  async claimRun(run: ScheduledRun, owner: string): Promise<boolean> {
    const key = `${run.procedure}|${run.scope}|${run.period}`;
    if (this.claims.has(key)) return false;
    this.claims.set(key, owner);
    return true;
  }
  async releaseRun(run: ScheduledRun, owner: string): Promise<void> {
    const key = `${run.procedure}|${run.scope}|${run.period}`;
    if (this.claims.get(key) === owner) this.claims.delete(key);
  }
}

export class FixedClock implements Clock {
  constructor(public time: Date) {}
  now(): Date {
    return new Date(this.time);
  }
  advance(ms: number): void {
    this.time = new Date(this.time.getTime() + ms);
  }
}

/** One metric per resource and name, a point every interval, as Metrics_List answers. */
export class FakeMetricSeries implements MetricSeriesReader {
  /** resourceId → metric names it has, with the unit and a constant value. */
  resources = new Map<string, Record<string, { unit: string; value: number }>>();
  async listMetricNames(resourceId: string): Promise<string[]> {
    const metrics = this.resources.get(resourceId);
    if (!metrics) throw new OpsError("NotFound", `${resourceId} was not found (ResourceNotFound)`);
    return Object.keys(metrics);
  }
  async getSeries(query: MetricSeriesQuery): Promise<MetricSeries> {
    const metric = this.resources.get(query.resourceId)?.[query.metricName];
    if (!metric) throw new OpsError("NotFound", `${query.resourceId} was not found (ResourceNotFound)`);
    const step = isoDurationMs(query.interval);
    const points: MetricSeries["points"] = [];
    for (let t = Math.ceil(query.start.getTime() / step) * step; t < query.end.getTime(); t += step) {
      const point: MetricSeries["points"][number] = { timeStamp: new Date(t).toISOString() };
      for (const a of query.aggregations) point[a] = metric.value;
      points.push(point);
    }
    return {
      resourceId: query.resourceId,
      metricName: query.metricName,
      unit: metric.unit,
      interval: query.interval,
      points,
    };
  }
}

/** Log Analytics in memory: a table per workspace; a query naming no table is refused as KQL is. */
export class FakeLogs implements LogsReader {
  tables = new Map<string, Record<string, LogTable>>();
  async query(workspaceId: string, kql: string): Promise<LogTable> {
    const workspace = this.tables.get(workspaceId);
    if (!workspace)
      throw new OpsError("NotFound", `Log Analytics workspace ${workspaceId} was not found (404)`);
    const name = kql.split("|")[0]?.trim() ?? "";
    const table = workspace[name];
    if (!table || /\|\s*wher\b/.test(kql)) {
      throw new OpsError(
        "AzureRequestFailed",
        `Azure refused the request for Log Analytics workspace ${workspaceId}: BadArgumentError`,
        {
          details: { statusCode: 400, azureCode: "BadArgumentError" },
        },
      );
    }
    const take = /\|\s*take\s+(\d+)/.exec(kql);
    return { columns: [...table.columns], rows: table.rows.slice(0, take ? Number(take[1]) : undefined) };
  }
}

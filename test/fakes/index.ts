import type { HealthReport } from "../../src/shared/health/report.ts";
import type {
  Clock,
  EmailMessage,
  EmailSender,
  HealthProbe,
  MetricDatapoint,
  MetricsQuery,
  MetricsReader,
  ProbeResult,
  ResourceInventory,
  ResourceMetrics,
  ResourceState,
} from "../../src/shared/ports/index.ts";
import type { HealthRunSummary, RunStore } from "../../src/shared/ports/store.ts";

/** In-memory stand-ins for the ports, for operation tests only. */
export class FakeInventory implements ResourceInventory {
  states = new Map<string, ResourceState>();
  failWith: Error | undefined;
  calls = 0;
  async getStates(resourceIds: readonly string[]): Promise<Map<string, ResourceState>> {
    this.calls++;
    if (this.failWith) throw this.failWith;
    return new Map(
      resourceIds.map((id) => [
        id,
        this.states.get(id) ?? {
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
    if (this.failNamespace === query.namespace)
      throw new Error(`metrics endpoint down for ${query.namespace}`);
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
  async send(message: EmailMessage): Promise<{ messageId: string }> {
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error("email service unavailable");
    }
    this.sent.push(message);
    return { messageId: `m${this.sent.length}` };
  }
}

export class MemoryRunStore implements RunStore {
  runs: HealthReport[] = [];
  claims = new Map<string, string>();
  async saveHealthRun(report: HealthReport): Promise<void> {
    this.runs.push(structuredClone(report));
  }
  async listHealthRuns(environment: string, options: { limit?: number } = {}): Promise<HealthRunSummary[]> {
    return this.runs
      .filter((r) => r.environment === environment)
      .reverse()
      .slice(0, options.limit ?? 20)
      .map((r) => ({
        runId: r.runId,
        environment: r.environment,
        trigger: r.trigger,
        status: r.status,
        startedAt: r.startedAt,
        finishedAt: r.finishedAt,
        componentCount: r.components.length,
        notified: r.notification?.sent ?? false,
      }));
  }
  async getHealthRun(environment: string, runId: string): Promise<HealthReport | undefined> {
    return this.runs.find((r) => r.environment === environment && r.runId === runId);
  }
  async claimScheduledRun(procedure: string, scope: string, period: string, owner: string): Promise<boolean> {
    const key = `${procedure}|${scope}|${period}`;
    if (this.claims.has(key)) return false;
    this.claims.set(key, owner);
    return true;
  }
  async releaseScheduledRun(procedure: string, scope: string, period: string, owner: string): Promise<void> {
    const key = `${procedure}|${scope}|${period}`;
    if (this.claims.get(key) === owner) this.claims.delete(key);
  }
}

export class FixedClock implements Clock {
  constructor(public time: Date) {}
  now(): Date {
    return new Date(this.time);
  }
}

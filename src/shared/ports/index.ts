/**
 * The ports the operations depend on. Each is implemented once over an Azure SDK (src/shared/adapters)
 * and once as an in-memory fake for the operation tests.
 */

export interface CallOptions {
  abortSignal?: AbortSignal;
}

/** What Resource Manager says about a resource right now. */
export interface ResourceState {
  resourceId: string;
  exists: boolean;
  /** Provider-specific state: "Running"/"Stopped" for sites, "Online"/"Paused"… for databases. */
  state?: string;
  /** Why the state is unknown when the read itself failed. */
  error?: string;
}

export interface ResourceGroupRef {
  subscriptionId: string;
  resourceGroup: string;
}

/** Resource Manager reads: one list call per resource group and type, never one call per resource. */
export interface ResourceInventory {
  getStates(resourceIds: readonly string[], options?: CallOptions): Promise<Map<string, ResourceState>>;
}

export type Aggregation = "average" | "total" | "maximum" | "minimum" | "count";

export interface MetricsQuery {
  /** All of one resource type; the adapter batches them (metrics:getBatch takes up to 50 per call). */
  resourceIds: readonly string[];
  namespace: string;
  metricNames: readonly string[];
  aggregations: readonly Aggregation[];
  start: Date;
  end: Date;
  /** ISO 8601 time grain, e.g. PT5M. */
  interval: string;
  /** Region of the resources: the data-plane endpoint is regional. */
  region: string;
}

export interface MetricDatapoint {
  timeStamp: Date;
  average?: number;
  total?: number;
  maximum?: number;
  minimum?: number;
  count?: number;
}

/** Per resource, per metric name, the datapoints (empty when Azure has no data). */
export type MetricValues = Map<string, MetricDatapoint[]>;

export interface ResourceMetrics {
  resourceId: string;
  metrics?: MetricValues;
  /** Set when this resource's metrics could not be read. */
  error?: string;
}

export interface MetricsReader {
  query(
    query: MetricsQuery,
    options?: CallOptions & { concurrency?: number },
  ): Promise<Map<string, ResourceMetrics>>;
}

export interface ProbeResult {
  url: string;
  statusCode?: number;
  durationInMs: number;
  error?: string;
}

/** An active HTTP check of a health URL. */
export interface HealthProbe {
  probe(url: string, options: CallOptions & { timeoutInMs: number }): Promise<ProbeResult>;
}

export interface EmailMessage {
  to: readonly string[];
  subject: string;
  html: string;
  text: string;
  /** Sending again with the same key never delivers twice. */
  idempotencyKey: string;
}

export interface EmailSender {
  send(message: EmailMessage, options?: CallOptions): Promise<{ messageId: string }>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface LogTable {
  columns: string[];
  rows: unknown[][];
}

/** Log Analytics queries (KQL) against a workspace. */
export interface LogsReader {
  query(workspaceId: string, kql: string, options: CallOptions & { durationInMs: number }): Promise<LogTable>;
}

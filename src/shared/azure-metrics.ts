/**
 * The platform metrics Azure Monitor has for the resource types of the estate (the names its
 * "Supported metrics" reference lists), so an alert rule can be checked before it is deployed.
 */
export const platformMetrics = {
  "Microsoft.Web/serverfarms": [
    "CpuPercentage",
    "MemoryPercentage",
    "DiskQueueLength",
    "HttpQueueLength",
    "BytesReceived",
    "BytesSent",
    "SocketInboundAll",
    "SocketOutboundAll",
    "TcpEstablished",
  ],
  "Microsoft.Web/sites": [
    "Requests",
    "Http2xx",
    "Http3xx",
    "Http4xx",
    "Http5xx",
    "HttpResponseTime",
    "AverageResponseTime",
    "CpuTime",
    "MemoryWorkingSet",
    "AverageMemoryWorkingSet",
    "BytesReceived",
    "BytesSent",
    "Handles",
    "Threads",
    "HealthCheckStatus",
    "RequestsInApplicationQueue",
  ],
  "Microsoft.Sql/servers/databases": [
    "cpu_percent",
    "sessions_percent",
    "workers_percent",
    "connection_failed",
    "connection_successful",
    "deadlock",
    "dtu_consumption_percent",
    "storage_percent",
    "log_write_percent",
    "physical_data_read_percent",
  ],
} as const satisfies Record<string, readonly string[]>;

export type MetricResourceType = keyof typeof platformMetrics;

/** The resource type of an id (`Microsoft.Web/sites`, `Microsoft.Sql/servers/databases`), as Azure spells it. */
export function resourceTypeOf(resourceId: string): string | undefined {
  const match = /\/providers\/([^/]+)\/([^/]+)\/[^/]+(?:\/([^/]+)\/[^/]+)?$/i.exec(resourceId);
  if (!match) return undefined;
  const [, namespace, type, child] = match;
  return child ? `${namespace}/${type}/${child}` : `${namespace}/${type}`;
}

/** The metrics of a resource type, matched without regard to case; undefined for a type not listed. */
export function metricsOfType(type: string): readonly string[] | undefined {
  const key = Object.keys(platformMetrics).find((k) => k.toLowerCase() === type.toLowerCase());
  return key ? platformMetrics[key as MetricResourceType] : undefined;
}

import { WebSiteManagementClient } from "@azure/arm-appservice";
import { MonitorClient } from "@azure/arm-monitor";
import { RecoveryServicesBackupClient } from "@azure/arm-recoveryservicesbackup";
import { SqlManagementClient } from "@azure/arm-sql";
import { EmailClient } from "@azure/communication-email";
import type { TokenCredential } from "@azure/core-auth";
import { LogsQueryClient } from "@azure/monitor-query-logs";
import { MetricsClient } from "@azure/monitor-query-metrics";
import type { Settings } from "../config/settings.ts";
import { pipelineOptions } from "./pipeline-options.ts";

/** One client per Azure service, and per subscription or region where the SDK binds one; each built on first use. */
export interface AzureClients {
  webSites: (subscriptionId: string) => WebSiteManagementClient;
  sql: (subscriptionId: string) => SqlManagementClient;
  metrics: (region: string) => MetricsClient;
  /** Azure Monitor on Resource Manager (Metrics_List, metric definitions). */
  monitor: (subscriptionId: string) => MonitorClient;
  /** Recovery Services backup (protected items, policies, jobs, Backups_Trigger). */
  backup: (subscriptionId: string) => RecoveryServicesBackupClient;
  logs: () => LogsQueryClient;
  /** Null when email is not configured. */
  email: () => EmailClient | null;
}

export function createAzureClients(settings: Settings, credential: TokenCredential): AzureClients {
  const options = pipelineOptions({
    timeoutInMs: settings.PHOENIX_AZURE_TIMEOUT_MS,
    maxRetries: settings.PHOENIX_AZURE_MAX_RETRIES,
  });
  const armScope = scope(settings.PHOENIX_ARM_AUDIENCE);
  return {
    webSites: perKey(
      (subscriptionId) =>
        new WebSiteManagementClient(credential, subscriptionId, {
          ...options,
          endpoint: settings.PHOENIX_ARM_ENDPOINT,
          credentials: { scopes: [armScope] },
        }),
    ),
    sql: perKey(
      (subscriptionId) =>
        new SqlManagementClient(credential, subscriptionId, {
          ...options,
          endpoint: settings.PHOENIX_ARM_ENDPOINT,
          credentialScopes: [armScope],
        }),
    ),
    metrics: perKey(
      (region) =>
        new MetricsClient(
          settings.PHOENIX_METRICS_ENDPOINT ?? `https://${region}.metrics.monitor.azure.com`,
          credential,
          { ...options, audience: scope(settings.PHOENIX_METRICS_AUDIENCE) },
        ),
    ),
    monitor: perKey(
      (subscriptionId) =>
        new MonitorClient(credential, subscriptionId, {
          ...options,
          endpoint: settings.PHOENIX_ARM_ENDPOINT,
          credentialScopes: [armScope],
        }),
    ),
    backup: perKey(
      (subscriptionId) =>
        new RecoveryServicesBackupClient(credential, subscriptionId, {
          ...options,
          endpoint: settings.PHOENIX_ARM_ENDPOINT,
          credentialScopes: [armScope],
        }),
    ),
    logs: once(
      () =>
        new LogsQueryClient(credential, {
          ...options,
          endpoint: `${settings.PHOENIX_LOGS_ENDPOINT.replace(/\/$/, "")}/v1`,
          credentials: { scopes: [scope(settings.PHOENIX_LOGS_AUDIENCE)] },
        }),
    ),
    email: once(() =>
      settings.PHOENIX_EMAIL_ENDPOINT
        ? new EmailClient(settings.PHOENIX_EMAIL_ENDPOINT, credential, options)
        : null,
    ),
  };
}

function scope(audience: string): string {
  return `${audience.replace(/\/$/, "")}/.default`;
}

export function once<T>(make: () => T): () => T {
  let value: T | undefined;
  let made = false;
  return () => {
    if (!made) {
      value = make();
      made = true;
    }
    return value as T;
  };
}

function perKey<T>(make: (key: string) => T): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    let client = cache.get(key);
    if (!client) {
      client = make(key);
      cache.set(key, client);
    }
    return client;
  };
}

import { WebSiteManagementClient } from "@azure/arm-appservice";
import { SqlManagementClient } from "@azure/arm-sql";
import { EmailClient } from "@azure/communication-email";
import type { TokenCredential } from "@azure/core-auth";
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import { TableClient } from "@azure/data-tables";
import { DefaultAzureCredential, ManagedIdentityCredential } from "@azure/identity";
import { LogsQueryClient } from "@azure/monitor-query-logs";
import { MetricsClient } from "@azure/monitor-query-metrics";
import { QueueServiceClient } from "@azure/storage-queue";
import { BlobServiceClient } from "@azure/storage-blob";
import { ArmInventory } from "./adapters/arm-inventory.ts";
import { AcsEmailSender } from "./adapters/acs-email.ts";
import { FetchHealthProbe } from "./adapters/http-probe.ts";
import { MonitorMetricsReader } from "./adapters/monitor-metrics.ts";
import { LogAnalyticsReader } from "./adapters/log-analytics.ts";
import { StorageWorkQueue } from "./adapters/storage-work-queue.ts";
import { TableIncidentStore } from "./adapters/table-incident-store.ts";
import { TableRunStore } from "./adapters/table-run-store.ts";
import { EntraTokenValidator } from "./auth/entra-token.ts";
import type { DiagnosticsDeps } from "./operations/diagnostics.ts";
import type { IncidentDeps } from "./operations/incidents.ts";
import { type QueueName, type IncidentStore, queueNames } from "./ports/incident-store.ts";
import { z } from "zod";
import { OpsApiClient } from "./adapters/ops-api-client.ts";
import { formatIssues, loadPolicyFile, loadSettings } from "./config/load.ts";
import type { OpsPolicy } from "./config/policy.ts";
import type { Settings } from "./config/settings.ts";
import { OpsError } from "./errors.ts";
import { type Logger, createLogger, stderrSink } from "./log.ts";
import type { HealthCheckDeps } from "./operations/health-check.ts";
import { type EmailSender, systemClock } from "./ports/index.ts";
import type { RunStore } from "./ports/store.ts";

export interface Services {
  settings: Settings;
  policy: OpsPolicy;
  logger: Logger;
  store: RunStore;
  healthCheck: HealthCheckDeps;
  incidents: IncidentDeps;
  diagnostics: DiagnosticsDeps;
  /** Null until PHOENIX_AUTH_TENANT_ID is set: operator endpoints then refuse every caller. */
  tokenValidator: EntraTokenValidator | null;
}

export interface CompositionOptions {
  env?: Record<string, string | undefined>;
  /** Folder that relative paths in settings (the policy file) are resolved against. */
  baseDir?: string;
  logger?: Logger;
}

/**
 * The one place where settings become clients. Everything is built on first use and once per process:
 * one credential, one client per service (and per subscription or region where the SDK binds one).
 */
export function createServices(options: CompositionOptions = {}): Services {
  const settings = loadSettings(options.env ?? process.env);
  const policy = loadPolicyFile(settings.PHOENIX_POLICY_PATH, options.baseDir);
  const logger = options.logger ?? createLogger(stderrSink, { app: "phoenix-ops" });
  const credential = createCredential(settings);
  const clientOptions = sdkClientOptions(settings);

  const perKey = <T>(make: (key: string) => T): ((key: string) => T) => {
    const cache = new Map<string, T>();
    return (key) => {
      let client = cache.get(key);
      if (!client) {
        client = make(key);
        cache.set(key, client);
      }
      return client;
    };
  };

  const armScope = `${settings.PHOENIX_ARM_AUDIENCE.replace(/\/$/, "")}/.default`;
  const webSites = perKey(
    (subscriptionId) =>
      new WebSiteManagementClient(credential, subscriptionId, {
        ...clientOptions,
        endpoint: settings.PHOENIX_ARM_ENDPOINT,
        credentials: { scopes: [armScope] },
      }),
  );
  const sql = perKey(
    (subscriptionId) =>
      new SqlManagementClient(credential, subscriptionId, {
        ...clientOptions,
        endpoint: settings.PHOENIX_ARM_ENDPOINT,
        credentialScopes: [armScope],
      }),
  );
  const metricsClient = perKey(
    (region) =>
      new MetricsClient(
        settings.PHOENIX_METRICS_ENDPOINT ?? `https://${region}.metrics.monitor.azure.com`,
        credential,
        {
          ...clientOptions,
          audience: `${settings.PHOENIX_METRICS_AUDIENCE.replace(/\/$/, "")}/.default`,
        },
      ),
  );

  const store = lazy(() => createRunStore(settings, credential));
  const incidentStore = lazy(() => createIncidentStore(settings, credential));
  const workQueue = lazy(() => createWorkQueue(settings, credential));
  const logsClient = lazy(
    () =>
      new LogsQueryClient(credential, {
        ...clientOptions,
        endpoint: `${settings.PHOENIX_LOGS_ENDPOINT.replace(/\/$/, "")}/v1`,
        credentials: { scopes: [`${settings.PHOENIX_LOGS_AUDIENCE.replace(/\/$/, "")}/.default`] },
      }),
  );
  const logsReader = lazy(() => new LogAnalyticsReader(logsClient()));
  const metricsReader = new MonitorMetricsReader(metricsClient);
  const apiBaseUrl =
    settings.PHOENIX_PUBLIC_BASE_URL ??
    (settings.WEBSITE_HOSTNAME ? `https://${settings.WEBSITE_HOSTNAME}` : null);
  const email = lazy(() => createEmailSender(settings, credential, clientOptions));

  const healthCheck: HealthCheckDeps = {
    policy,
    logger,
    clock: systemClock,
    inventory: new ArmInventory({ webSites, sql }),
    metrics: metricsReader,
    probe: new FetchHealthProbe(),
    get email() {
      return email();
    },
    get store() {
      return store();
    },
  };
  const incidents: IncidentDeps = {
    policy,
    logger,
    clock: systemClock,
    apiBaseUrl,
    get store() {
      return incidentStore();
    },
    get queue() {
      return workQueue();
    },
    get email() {
      return email();
    },
  };
  const diagnostics: DiagnosticsDeps = {
    policy,
    logger,
    clock: systemClock,
    metrics: metricsReader,
    get store() {
      return incidentStore();
    },
    get logs() {
      return logsReader();
    },
  };
  const tokenValidator = settings.PHOENIX_AUTH_TENANT_ID
    ? new EntraTokenValidator({
        tenantId: settings.PHOENIX_AUTH_TENANT_ID,
        authorityHost: settings.PHOENIX_AUTH_AUTHORITY_HOST,
        audiences: settings.PHOENIX_AUTH_AUDIENCES,
      })
    : null;
  return {
    settings,
    policy,
    logger,
    incidents,
    diagnostics,
    tokenValidator,
    get store() {
      return store();
    },
    healthCheck,
  };
}

/**
 * The CLI's client of the app's HTTP API. It needs only the API's URL and audience, not the app's
 * storage or policy, so it has its own small set of settings.
 */
export function createOpsApiClient(env: Record<string, string | undefined>): OpsApiClient {
  const parsed = apiClientSettings.safeParse(env);
  if (!parsed.success) {
    throw new OpsError(
      "SettingsInvalid",
      `settings for the Phoenix Ops API are invalid:\n${formatIssues(parsed.error.issues)}`,
    );
  }
  const settings = parsed.data;
  const credential = new DefaultAzureCredential(
    settings.AZURE_CLIENT_ID ? { managedIdentityClientId: settings.AZURE_CLIENT_ID } : {},
  );
  return new OpsApiClient(
    settings.PHOENIX_API_URL,
    credential,
    `${settings.PHOENIX_API_AUDIENCE.replace(/\/$/, "")}/.default`,
  );
}

const apiClientSettings = z.object({
  PHOENIX_API_URL: z.url({
    protocol: /^https?$/,
    error: "set PHOENIX_API_URL to the function app's URL, e.g. https://<app>.azurewebsites.net",
  }),
  PHOENIX_API_AUDIENCE: z.string().min(1).default("api://phoenix-ops"),
  AZURE_CLIENT_ID: z.string().min(1).optional(),
});

let processServices: Services | undefined;

/** The services of this process, built on first use. Triggers call this, never an SDK. */
export function getServices(): Services {
  processServices ??= createServices();
  return processServices;
}

function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

function createCredential(settings: Settings): TokenCredential {
  if (settings.PHOENIX_CREDENTIAL === "default") {
    return new DefaultAzureCredential(
      settings.AZURE_CLIENT_ID ? { managedIdentityClientId: settings.AZURE_CLIENT_ID } : {},
    );
  }
  return settings.AZURE_CLIENT_ID
    ? new ManagedIdentityCredential({ clientId: settings.AZURE_CLIENT_ID })
    : new ManagedIdentityCredential();
}

/**
 * Retries: the SDK pipeline retries 429 and 503 honouring Retry-After, and transient network errors with
 * exponential back-off. Each try has a timeout, so a call that keeps failing ends in an error, not a hang.
 */
function sdkClientOptions(settings: Settings): {
  retryOptions: { maxRetries: number; retryDelayInMs: number; maxRetryDelayInMs: number };
  additionalPolicies: { policy: PipelinePolicy; position: "perRetry" }[];
} {
  const timeoutInMs = settings.PHOENIX_AZURE_TIMEOUT_MS;
  const timeoutPolicy: PipelinePolicy = {
    name: "phoenixTryTimeout",
    sendRequest: (request, next) => {
      if (!request.timeout) request.timeout = timeoutInMs;
      return next(request);
    },
  };
  return {
    retryOptions: {
      maxRetries: settings.PHOENIX_AZURE_MAX_RETRIES,
      retryDelayInMs: 400,
      maxRetryDelayInMs: 10_000,
    },
    additionalPolicies: [{ policy: timeoutPolicy, position: "perRetry" }],
  };
}

function createRunStore(settings: Settings, credential: TokenCredential): RunStore {
  const prefix = settings.PHOENIX_STATE_TABLE_PREFIX;
  const runsTable = `${prefix}runs`;
  const claimsTable = `${prefix}claims`;
  const container = `${prefix.toLowerCase()}-reports`;
  const connection = settings.AzureWebJobsStorage;
  if (connection) {
    // Azurite speaks plain HTTP on loopback; Azure storage is always HTTPS.
    const insecure = /UseDevelopmentStorage=true|http:\/\//i.test(connection);
    return new TableRunStore({
      runs: TableClient.fromConnectionString(connection, runsTable, { allowInsecureConnection: insecure }),
      claims: TableClient.fromConnectionString(connection, claimsTable, {
        allowInsecureConnection: insecure,
      }),
      reports: BlobServiceClient.fromConnectionString(connection).getContainerClient(container),
    });
  }
  const account = settings.AzureWebJobsStorage__accountName;
  const tableUri =
    settings.AzureWebJobsStorage__tableServiceUri ?? `https://${account}.table.core.windows.net`;
  const blobUri = settings.AzureWebJobsStorage__blobServiceUri ?? `https://${account}.blob.core.windows.net`;
  return new TableRunStore({
    runs: new TableClient(tableUri, runsTable, credential),
    claims: new TableClient(tableUri, claimsTable, credential),
    reports: new BlobServiceClient(blobUri, credential).getContainerClient(container),
  });
}

function createEmailSender(
  settings: Settings,
  credential: TokenCredential,
  clientOptions: ReturnType<typeof sdkClientOptions>,
): EmailSender {
  const endpoint = settings.PHOENIX_EMAIL_ENDPOINT;
  const sender = settings.PHOENIX_EMAIL_SENDER;
  if (!endpoint || !sender) {
    return {
      send: () =>
        Promise.reject(
          new OpsError(
            "EmailFailed",
            "email is not configured: set PHOENIX_EMAIL_ENDPOINT and PHOENIX_EMAIL_SENDER",
          ),
        ),
    };
  }
  return new AcsEmailSender(new EmailClient(endpoint, credential, clientOptions), sender);
}

function storageEndpoints(settings: Settings): { table: string; queue: string; blob: string } {
  const account = settings.AzureWebJobsStorage__accountName;
  return {
    table: settings.AzureWebJobsStorage__tableServiceUri ?? `https://${account}.table.core.windows.net`,
    queue: settings.AzureWebJobsStorage__queueServiceUri ?? `https://${account}.queue.core.windows.net`,
    blob: settings.AzureWebJobsStorage__blobServiceUri ?? `https://${account}.blob.core.windows.net`,
  };
}

function createIncidentStore(settings: Settings, credential: TokenCredential): IncidentStore {
  const prefix = settings.PHOENIX_STATE_TABLE_PREFIX;
  const names = ["alerts", "incidentkeys", "incidents", "incidentevents", "notifications", "limits"] as const;
  const connection = settings.AzureWebJobsStorage;
  const insecure = connection ? /UseDevelopmentStorage=true|http:\/\//i.test(connection) : false;
  const endpoints = storageEndpoints(settings);
  const table = (name: string): TableClient =>
    connection
      ? TableClient.fromConnectionString(connection, `${prefix}${name}`, {
          allowInsecureConnection: insecure,
        })
      : new TableClient(endpoints.table, `${prefix}${name}`, credential);
  const [alerts, keys, incidents, events, notifications, limits] = names.map(table) as [
    TableClient,
    TableClient,
    TableClient,
    TableClient,
    TableClient,
    TableClient,
  ];
  const blobs = connection
    ? BlobServiceClient.fromConnectionString(connection)
    : new BlobServiceClient(endpoints.blob, credential);
  return new TableIncidentStore({
    alerts,
    keys,
    incidents,
    events,
    notifications,
    limits,
    diagnostics: blobs.getContainerClient(`${prefix.toLowerCase()}-diagnostics`),
  });
}

function createWorkQueue(settings: Settings, credential: TokenCredential): StorageWorkQueue {
  const connection = settings.AzureWebJobsStorage;
  const service = connection
    ? QueueServiceClient.fromConnectionString(connection)
    : new QueueServiceClient(storageEndpoints(settings).queue, credential);
  return new StorageWorkQueue((name: QueueName) => service.getQueueClient(name));
}

export { queueNames };

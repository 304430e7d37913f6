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
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
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
import { BatchingAlertIntake } from "./operations/incidents/alert-intake.ts";
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

  const storage = lazy(() => createStorageAccess(settings, credential));
  const prefix = settings.PHOENIX_STATE_TABLE_PREFIX;
  const store = lazy(() => createRunStore(storage(), prefix));
  const incidentStore = lazy(() => createIncidentStore(storage(), prefix));
  const workQueue = lazy(() => createWorkQueue(storage()));
  const alertIntake = lazy(
    () => new BatchingAlertIntake(workQueue(), { windowMs: settings.PHOENIX_ALERTS_BATCH_WINDOW_MS }),
  );
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
    get intake() {
      return alertIntake();
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

/**
 * The one way to the storage account: a connection string (Azurite locally) or identity-based
 * endpoints (AzureWebJobsStorage__accountName), as the Functions host itself reads them. The service
 * clients are built once; tables and containers are cheap handles on them.
 */
interface StorageAccess {
  table(name: string): TableClient;
  container(name: string): ContainerClient;
  queues: QueueServiceClient;
}

function createStorageAccess(settings: Settings, credential: TokenCredential): StorageAccess {
  const connection = settings.AzureWebJobsStorage;
  if (connection) {
    // Azurite speaks plain HTTP on loopback; Azure storage is always HTTPS.
    const allowInsecureConnection = /UseDevelopmentStorage=true|http:\/\//i.test(connection);
    const blobs = BlobServiceClient.fromConnectionString(connection);
    return {
      table: (name) => TableClient.fromConnectionString(connection, name, { allowInsecureConnection }),
      container: (name) => blobs.getContainerClient(name),
      queues: QueueServiceClient.fromConnectionString(connection),
    };
  }
  const account = settings.AzureWebJobsStorage__accountName;
  const tableUri =
    settings.AzureWebJobsStorage__tableServiceUri ?? `https://${account}.table.core.windows.net`;
  const queueUri =
    settings.AzureWebJobsStorage__queueServiceUri ?? `https://${account}.queue.core.windows.net`;
  const blobUri = settings.AzureWebJobsStorage__blobServiceUri ?? `https://${account}.blob.core.windows.net`;
  const blobs = new BlobServiceClient(blobUri, credential);
  return {
    table: (name) => new TableClient(tableUri, name, credential),
    container: (name) => blobs.getContainerClient(name),
    queues: new QueueServiceClient(queueUri, credential),
  };
}

function createRunStore(storage: StorageAccess, prefix: string): RunStore {
  return new TableRunStore({
    runs: storage.table(`${prefix}runs`),
    claims: storage.table(`${prefix}claims`),
    reports: storage.container(`${prefix.toLowerCase()}-reports`),
  });
}

function createIncidentStore(storage: StorageAccess, prefix: string): IncidentStore {
  return new TableIncidentStore({
    alerts: storage.table(`${prefix}alerts`),
    keys: storage.table(`${prefix}incidentkeys`),
    incidents: storage.table(`${prefix}incidents`),
    events: storage.table(`${prefix}incidentevents`),
    notifications: storage.table(`${prefix}notifications`),
    limits: storage.table(`${prefix}limits`),
    diagnostics: storage.container(`${prefix.toLowerCase()}-diagnostics`),
  });
}

function createWorkQueue(storage: StorageAccess): StorageWorkQueue {
  return new StorageWorkQueue((name: QueueName) => storage.queues.getQueueClient(name));
}

export { queueNames };

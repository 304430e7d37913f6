import type { TokenCredential } from "@azure/core-auth";
import { TableClient } from "@azure/data-tables";
import {
  BlobServiceClient,
  type ContainerClient,
  StorageSharedKeyCredential as BlobKey,
  newPipeline as newBlobPipeline,
} from "@azure/storage-blob";
import {
  QueueServiceClient,
  StorageSharedKeyCredential as QueueKey,
  newPipeline as newQueuePipeline,
} from "@azure/storage-queue";
import type { Settings } from "../config/settings.ts";
import { OpsError } from "../errors.ts";
import { pipelineOptions } from "./pipeline-options.ts";

/**
 * The one way to the storage account: a connection string (Azurite locally) or identity-based
 * endpoints (AzureWebJobsStorage__accountName or each service URI), as the Functions host reads them.
 * The service clients are built once; tables and containers are cheap handles on them. Every client
 * has a per-try timeout on the client side and bounded retries, so a storage account that does not
 * answer fails within seconds instead of holding a webhook caller past its patience.
 */
export interface StorageAccess {
  table(name: string): TableClient;
  container(name: string): ContainerClient;
  queues: QueueServiceClient;
}

interface Endpoints {
  blob: string;
  queue: string;
  table: string;
  key?: { accountName: string; accountKey: string };
}

export function createStorageAccess(settings: Settings, credential: TokenCredential): StorageAccess {
  const policy = {
    timeoutInMs: settings.PHOENIX_STORAGE_TIMEOUT_MS,
    maxRetries: settings.PHOENIX_STORAGE_MAX_RETRIES,
  };
  const tableOptions = pipelineOptions(policy, { retryDelayInMs: 200, maxRetryDelayInMs: 2000 });
  const endpoints = settings.AzureWebJobsStorage
    ? fromConnectionString(settings.AzureWebJobsStorage)
    : identityEndpoints(settings);
  // Blob and queue clients take their retries as tries; their own "try timeout" is only the server-side
  // `timeout` parameter, so the client-side one is a policy on the pipeline, next to the HTTP client.
  const storageOptions = {
    retryOptions: { maxTries: policy.maxRetries + 1, retryDelayInMs: 200, maxRetryDelayInMs: 2000 },
  };
  const blobPipeline = newBlobPipeline(
    endpoints.key ? new BlobKey(endpoints.key.accountName, endpoints.key.accountKey) : credential,
    storageOptions,
  );
  blobPipeline.factories.push(tryTimeout(policy.timeoutInMs));
  const queuePipeline = newQueuePipeline(
    endpoints.key ? new QueueKey(endpoints.key.accountName, endpoints.key.accountKey) : credential,
    storageOptions,
  );
  queuePipeline.factories.push(tryTimeout(policy.timeoutInMs));
  const blobs = new BlobServiceClient(endpoints.blob, blobPipeline);
  const queues = new QueueServiceClient(endpoints.queue, queuePipeline);
  const connection = settings.AzureWebJobsStorage;
  return {
    table: (name) =>
      connection
        ? TableClient.fromConnectionString(connection, name, {
            ...tableOptions,
            // Azurite speaks plain HTTP on loopback; Azure storage is always HTTPS.
            allowInsecureConnection: endpoints.table.startsWith("http:"),
          })
        : new TableClient(endpoints.table, name, credential, tableOptions),
    container: (name) => blobs.getContainerClient(name),
    queues,
  };
}

/** The innermost policy of a storage pipeline: each try is given up after `timeoutInMs`. */
function tryTimeout(timeoutInMs: number) {
  return {
    create: (next: { sendRequest(request: { timeout: number }): Promise<unknown> }) => ({
      sendRequest: (request: { timeout: number }) => {
        if (!request.timeout || request.timeout > timeoutInMs) request.timeout = timeoutInMs;
        return next.sendRequest(request);
      },
    }),
  } as unknown as Parameters<ReturnType<typeof newQueuePipeline>["factories"]["push"]>[0];
}

function identityEndpoints(settings: Settings): Endpoints {
  // The settings check has made sure that either the account name or every service URI is there.
  const account = settings.AzureWebJobsStorage__accountName ?? "";
  return {
    blob: settings.AzureWebJobsStorage__blobServiceUri ?? `https://${account}.blob.core.windows.net`,
    queue: settings.AzureWebJobsStorage__queueServiceUri ?? `https://${account}.queue.core.windows.net`,
    table: settings.AzureWebJobsStorage__tableServiceUri ?? `https://${account}.table.core.windows.net`,
  };
}

const developmentKey =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/** An account-key connection string, as Azure and Azurite write them (`UseDevelopmentStorage=true` too). */
export function fromConnectionString(connection: string): Endpoints {
  const parts = new Map<string, string>();
  for (const part of connection.split(";")) {
    const at = part.indexOf("=");
    if (at > 0) parts.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  if (parts.get("usedevelopmentstorage") === "true") {
    return {
      blob: "http://127.0.0.1:10000/devstoreaccount1",
      queue: "http://127.0.0.1:10001/devstoreaccount1",
      table: "http://127.0.0.1:10002/devstoreaccount1",
      key: { accountName: "devstoreaccount1", accountKey: developmentKey },
    };
  }
  const accountName = parts.get("accountname");
  const accountKey = parts.get("accountkey");
  if (!accountName || !accountKey) {
    throw new OpsError(
      "SettingsInvalid",
      "AzureWebJobsStorage must name AccountName and AccountKey (or use identity-based storage)",
    );
  }
  const protocol = parts.get("defaultendpointsprotocol") ?? "https";
  const suffix = parts.get("endpointsuffix") ?? "core.windows.net";
  const endpoint = (service: string) =>
    parts.get(`${service}endpoint`) ?? `${protocol}://${accountName}.${service}.${suffix}`;
  return {
    blob: endpoint("blob"),
    queue: endpoint("queue"),
    table: endpoint("table"),
    key: { accountName, accountKey },
  };
}

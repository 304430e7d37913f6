import type { TokenCredential } from "@azure/core-auth";
import { TableClient } from "@azure/data-tables";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { QueueServiceClient } from "@azure/storage-queue";
import type { Settings } from "../config/settings.ts";
import { pipelineOptions, storagePipelineOptions } from "./pipeline-options.ts";

/**
 * The one way to the storage account: a connection string (Azurite locally) or identity-based
 * endpoints (AzureWebJobsStorage__accountName or each service URI), as the Functions host reads them.
 * The service clients are built once; tables and containers are cheap handles on them. Every client
 * has a per-try timeout and bounded retries, so a storage account that does not answer fails fast.
 */
export interface StorageAccess {
  table(name: string): TableClient;
  container(name: string): ContainerClient;
  queues: QueueServiceClient;
}

export function createStorageAccess(settings: Settings, credential: TokenCredential): StorageAccess {
  const policy = {
    timeoutInMs: settings.PHOENIX_STORAGE_TIMEOUT_MS,
    maxRetries: settings.PHOENIX_STORAGE_MAX_RETRIES,
  };
  const tableOptions = pipelineOptions(policy, { retryDelayInMs: 200, maxRetryDelayInMs: 2000 });
  const blobQueueOptions = storagePipelineOptions(policy);
  const connection = settings.AzureWebJobsStorage;
  if (connection) {
    // Azurite speaks plain HTTP on loopback; Azure storage is always HTTPS.
    const allowInsecureConnection = /UseDevelopmentStorage=true|http:\/\//i.test(connection);
    const blobs = BlobServiceClient.fromConnectionString(connection, blobQueueOptions);
    return {
      table: (name) =>
        TableClient.fromConnectionString(connection, name, { ...tableOptions, allowInsecureConnection }),
      container: (name) => blobs.getContainerClient(name),
      queues: QueueServiceClient.fromConnectionString(connection, blobQueueOptions),
    };
  }
  // The settings check has made sure that either the account name or every service URI is there.
  const account = settings.AzureWebJobsStorage__accountName ?? "";
  const tableUri =
    settings.AzureWebJobsStorage__tableServiceUri ?? `https://${account}.table.core.windows.net`;
  const queueUri =
    settings.AzureWebJobsStorage__queueServiceUri ?? `https://${account}.queue.core.windows.net`;
  const blobUri = settings.AzureWebJobsStorage__blobServiceUri ?? `https://${account}.blob.core.windows.net`;
  const blobs = new BlobServiceClient(blobUri, credential, blobQueueOptions);
  return {
    table: (name) => new TableClient(tableUri, name, credential, tableOptions),
    container: (name) => blobs.getContainerClient(name),
    queues: new QueueServiceClient(queueUri, credential, blobQueueOptions),
  };
}

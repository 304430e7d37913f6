/**
 * Queue access for the queue trigger and the queue output binding, over @azure/storage-queue with
 * the connection strings named by the bindings (Azurite's, locally).
 */
import { QueueServiceClient, type QueueClient } from "@azure/storage-queue";
import type { RegisteredFunction } from "./core-module.ts";
import type { RpcInvocationResponse } from "./core-types.ts";
import type { HostLogger } from "./logger.ts";
import { resolveSettingExpressions, type QueueHostOptions } from "./settings.ts";
import { typedDataToQueueMessages } from "./typed-data.ts";

export const DEFAULT_STORAGE_CONNECTION = "AzureWebJobsStorage";

/**
 * Resolves a binding's `connection` the way the host does: the setting itself, else
 * `AzureWebJobs<name>`. Identity-based connections (`<name>__queueServiceUri`) need a credential the
 * local stack does not provide, so they are refused with a clear message.
 */
export function resolveConnectionString(
  connection: string | undefined,
  settings: Record<string, string>,
): string {
  const name = connection || DEFAULT_STORAGE_CONNECTION;
  const value = settings[name] ?? settings[`AzureWebJobs${name}`];
  if (value) return value;
  if (settings[`${name}__queueServiceUri`] || settings[`${name}__serviceUri`]) {
    throw new Error(
      `Connection "${name}" is identity-based; the local host needs a connection string (Azurite's)`,
    );
  }
  throw new Error(`Storage connection "${name}" is not set in the app settings`);
}

export class StorageQueues {
  readonly #settings: Record<string, string>;
  readonly #encoding: QueueHostOptions["messageEncoding"];
  readonly #clients = new Map<string, QueueClient>();
  readonly #created = new Set<string>();

  constructor(settings: Record<string, string>, encoding: QueueHostOptions["messageEncoding"]) {
    this.#settings = settings;
    this.#encoding = encoding;
  }

  client(connection: string | undefined, queueName: string): QueueClient {
    const connectionString = resolveConnectionString(connection, this.#settings);
    const key = `${connectionString}\n${queueName}`;
    let client = this.#clients.get(key);
    if (!client) {
      client = QueueServiceClient.fromConnectionString(connectionString).getQueueClient(queueName);
      this.#clients.set(key, client);
    }
    return client;
  }

  /** Creates the queue once per host run; the SDK call is idempotent but not free. */
  async ensureQueue(client: QueueClient): Promise<void> {
    const key = client.url;
    if (this.#created.has(key)) return;
    await client.createIfNotExists();
    this.#created.add(key);
  }

  /** Writes message bytes with the host's message encoding (base64 by default). */
  async send(client: QueueClient, content: Buffer): Promise<void> {
    await this.ensureQueue(client);
    await client.sendMessage(this.encode(content));
  }

  encode(content: Buffer): string {
    return this.#encoding === "base64" ? content.toString("base64") : content.toString("utf8");
  }

  /** Decodes a message text; a text that is not base64 fails like it does in the host. */
  decode(messageText: string): string {
    if (this.#encoding === "none") return messageText;
    const compact = messageText.replace(/\s/g, "");
    if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
      throw new Error(
        "Message decoding has failed: the message is not valid base64 (host.json extensions.queues.messageEncoding is base64)",
      );
    }
    return Buffer.from(compact, "base64").toString("utf8");
  }

  /**
   * Applies the function's queue output bindings to its response: `$return` is the return value,
   * any other name an entry of `outputData`. Failures fail the invocation, as they do in the host.
   */
  async applyOutputs(fn: RegisteredFunction, response: RpcInvocationResponse): Promise<void> {
    for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
      if (binding.direction !== "out" || binding.type?.toLowerCase() !== "queue") continue;
      const data =
        name === "$return" ? response.returnValue : response.outputData?.find((o) => o.name === name)?.data;
      const messages = typedDataToQueueMessages(data);
      if (messages.length === 0) continue;
      const queueName = resolveSettingExpressions(
        optionalString(binding["queueName"]) ?? "",
        this.#settings,
      ).toLowerCase();
      const client = this.client(optionalString(binding["connection"]), queueName);
      for (const message of messages) await this.send(client, message);
    }
  }
}

/** Logs the output bindings the local host does not carry out, once at start. */
export function warnUnsupportedBindings(fn: RegisteredFunction, logger: HostLogger): void {
  for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
    const type = binding.type ?? "";
    const isTrigger = /trigger$/i.test(type);
    const supported = isTrigger || ["http", "queue"].includes(type.toLowerCase());
    if (!supported) {
      logger.host(
        "warning",
        `Function '${fn.metadata.name}': ${binding.direction ?? "?"} binding '${name}' of type '${type}' is not supported by the local host and is ignored`,
      );
    }
  }
}

export function optionalString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

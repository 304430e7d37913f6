/**
 * The Storage queue trigger: a polling listener per function, following the queue extension's
 * QueueListener. It fetches up to `batchSize` messages, runs them concurrently, fetches again once
 * the running count drops to `newBatchThreshold`, backs off exponentially (100 ms up to
 * `maxPollingInterval`) while the queue is empty and polls again at once after a non-empty batch.
 * A message is deleted when its invocation succeeds; on failure it is made visible again after
 * `visibilityTimeout`, and once it has been dequeued `maxDequeueCount` times it moves to
 * `<queue>-poison`.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { DequeuedMessageItem, QueueClient } from "@azure/storage-queue";
import type { RegisteredFunction } from "./core-module.ts";
import type { RpcParameterBinding, RpcTypedData } from "./core-types.ts";
import { errorMessage, InvocationFailedError } from "./invoke.ts";
import type { HostLogger } from "./logger.ts";
import type { QueueHostOptions } from "./settings.ts";
import type { StorageQueues } from "./storage-queues.ts";
import { jsonData, sysMetadata } from "./typed-data.ts";

const MIN_POLLING_MS = 100;
/** Azure Storage caps a message's visibility timeout at seven days. */
const MAX_VISIBILITY_SECONDS = 7 * 24 * 3600;

export type ExecuteQueueInvocation = (
  inputData: RpcParameterBinding[],
  triggerMetadata: Record<string, RpcTypedData>,
) => Promise<void>;

export interface QueueListenerOptions {
  fn: RegisteredFunction;
  bindingName: string;
  queueName: string;
  connection: string | undefined;
  queues: StorageQueues;
  hostOptions: QueueHostOptions;
  functionTimeoutMs: number | undefined;
  execute: ExecuteQueueInvocation;
  logger: HostLogger;
}

export class QueueListener {
  readonly #o: QueueListenerOptions;
  readonly #queue: QueueClient;
  readonly #poison: QueueClient;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(options: QueueListenerOptions) {
    this.#o = options;
    this.#queue = options.queues.client(options.connection, options.queueName);
    this.#poison = options.queues.client(options.connection, `${options.queueName}-poison`);
  }

  get queueName(): string {
    return this.#o.queueName;
  }

  /** Creates the queue if it is missing, then polls in the background. */
  async start(): Promise<void> {
    await this.#o.queues.ensureQueue(this.#queue);
    this.#loop = this.#run();
  }

  /** Stops polling and waits for the messages being processed, as the host drains on shutdown. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    await Promise.allSettled([...this.#inFlight]);
  }

  /** Builds the trigger's input from a message text, as the host does for a manual (admin) run. */
  static manualInput(
    bindingName: string,
    functionName: string,
    message: string,
  ): [RpcParameterBinding[], Record<string, RpcTypedData>] {
    const now = new Date();
    return [
      [{ name: bindingName, data: { string: message } }],
      {
        QueueTrigger: { string: message },
        DequeueCount: { int: 1 },
        Id: { string: randomUUID() },
        PopReceipt: { string: "" },
        InsertionTime: jsonData(now.toISOString()),
        ExpirationTime: jsonData(new Date(now.getTime() + 7 * 24 * 3600_000).toISOString()),
        NextVisibleTime: jsonData(now.toISOString()),
        sys: sysMetadata(functionName),
      },
    ];
  }

  async #run(): Promise<void> {
    const { hostOptions, logger, fn } = this.#o;
    const signal = this.#stop.signal;
    const stopped = new Promise<void>((resolve) =>
      signal.addEventListener("abort", () => resolve(), { once: true }),
    );
    let delayMs = MIN_POLLING_MS;
    while (!signal.aborted) {
      if (this.#inFlight.size > hostOptions.newBatchThreshold) {
        await Promise.race([...this.#inFlight, stopped]);
        continue;
      }
      let messages: DequeuedMessageItem[] = [];
      try {
        const received = await this.#queue.receiveMessages({
          numberOfMessages: hostOptions.batchSize,
          visibilityTimeout: this.#receiveVisibilitySeconds(),
          abortSignal: signal,
        });
        messages = received.receivedMessageItems;
      } catch (error) {
        if (signal.aborted) break;
        logger.host(
          "warning",
          `Queue '${this.#o.queueName}' (function '${fn.metadata.name}'): ${errorMessage(error)}`,
        );
      }
      if (messages.length === 0) {
        await sleep(delayMs, undefined, { signal }).catch(() => undefined);
        delayMs = Math.min(delayMs * 2, hostOptions.maxPollingIntervalMs);
        continue;
      }
      delayMs = MIN_POLLING_MS;
      for (const message of messages) {
        const work = this.#handle(message).finally(() => this.#inFlight.delete(work));
        this.#inFlight.add(work);
      }
    }
  }

  /**
   * While an invocation runs, its message must stay hidden; the host renews the lease, this host
   * hides it for longer than the function timeout instead.
   */
  #receiveVisibilitySeconds(): number {
    const timeoutSeconds = Math.ceil((this.#o.functionTimeoutMs ?? MAX_VISIBILITY_SECONDS * 1000) / 1000);
    return Math.min(MAX_VISIBILITY_SECONDS, Math.max(600, timeoutSeconds + 60));
  }

  async #handle(message: DequeuedMessageItem): Promise<void> {
    const { hostOptions, logger, fn } = this.#o;
    try {
      // A message already past the limit (a crash mid-run) goes straight to poison, as in the host.
      if (message.dequeueCount > hostOptions.maxDequeueCount) {
        await this.#moveToPoison(message);
        return;
      }
      let succeeded = false;
      try {
        const text = this.#o.queues.decode(message.messageText);
        await this.#o.execute(
          [{ name: this.#o.bindingName, data: { string: text } }],
          this.#metadata(message, text),
        );
        succeeded = true;
      } catch (error) {
        // The invoker has logged the failure already; a decoding error has not been.
        if (!(error instanceof InvocationFailedError)) {
          logger.host("error", `Function '${fn.metadata.name}': ${errorMessage(error)}`);
        }
      }
      if (succeeded) {
        await this.#queue.deleteMessage(message.messageId, message.popReceipt);
      } else if (message.dequeueCount >= hostOptions.maxDequeueCount) {
        await this.#moveToPoison(message);
      } else {
        await this.#queue.updateMessage(
          message.messageId,
          message.popReceipt,
          undefined,
          Math.ceil(hostOptions.visibilityTimeoutMs / 1000),
        );
      }
    } catch (error) {
      // Another consumer took the message, or the queue went away: the host logs and moves on.
      logger.host(
        "warning",
        `Queue '${this.#o.queueName}' message ${message.messageId}: ${errorMessage(error)}`,
      );
    }
  }

  async #moveToPoison(message: DequeuedMessageItem): Promise<void> {
    const poisonName = `${this.#o.queueName}-poison`;
    this.#o.logger.host(
      "warning",
      `Message has reached MaxDequeueCount of ${this.#o.hostOptions.maxDequeueCount}. Moving message to queue '${poisonName}'.`,
    );
    await this.#o.queues.ensureQueue(this.#poison);
    // The original text, still encoded, so that it can be replayed onto the queue unchanged.
    await this.#poison.sendMessage(message.messageText);
    await this.#queue.deleteMessage(message.messageId, message.popReceipt);
  }

  #metadata(message: DequeuedMessageItem, text: string): Record<string, RpcTypedData> {
    return {
      QueueTrigger: { string: text },
      DequeueCount: { int: message.dequeueCount },
      Id: { string: message.messageId },
      PopReceipt: { string: message.popReceipt },
      InsertionTime: jsonData(message.insertedOn.toISOString()),
      ExpirationTime: jsonData(message.expiresOn.toISOString()),
      NextVisibleTime: jsonData(message.nextVisibleOn.toISOString()),
      sys: sysMetadata(this.#o.fn.metadata.name),
    };
  }
}

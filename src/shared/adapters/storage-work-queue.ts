import { RestError } from "@azure/core-rest-pipeline";
import type { QueueClient } from "@azure/storage-queue";
import { OpsError } from "../errors.ts";
import type { CallOptions } from "../ports/call-options.ts";
import type { QueueName, WorkQueue } from "../ports/work-queue.ts";

/** Azure Queue storage limits how long a message can stay invisible. */
const MAX_DELAY_SECONDS = 7 * 24 * 3600;

/**
 * Deferred work on Azure Storage queues. Messages are base64-encoded JSON: the Functions host's queue
 * trigger decodes base64 by default. A delay is the message's visibility timeout, so scheduled work
 * survives restarts and scale-out.
 */
export class StorageWorkQueue implements WorkQueue {
  private readonly created = new Map<string, Promise<void>>();

  constructor(private readonly clientFor: (name: QueueName) => QueueClient) {}

  async send(
    queue: QueueName,
    message: object,
    options: CallOptions & { delayInSeconds?: number } = {},
  ): Promise<void> {
    const client = this.clientFor(queue);
    let ready = this.created.get(queue);
    if (!ready) {
      ready = client.createIfNotExists().then(() => undefined);
      this.created.set(queue, ready);
    }
    const delay = Math.min(Math.max(0, Math.ceil(options.delayInSeconds ?? 0)), MAX_DELAY_SECONDS);
    try {
      // Creating the queue is shared by every caller, so it is not cancelled; a caller only stops waiting.
      await untilAborted(ready, options.abortSignal);
      await client.sendMessage(Buffer.from(JSON.stringify(message)).toString("base64"), {
        visibilityTimeout: delay,
        messageTimeToLive: -1,
        abortSignal: options.abortSignal,
      });
    } catch (error) {
      this.created.delete(queue);
      const status = error instanceof RestError ? error.statusCode : undefined;
      throw new OpsError(
        "StoreFailed",
        `could not queue work on ${queue}${status ? ` (storage answered ${status})` : ""}`,
        {
          cause: error,
          retryable: true,
        },
      );
    }
  }
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error("the operation was aborted");
}

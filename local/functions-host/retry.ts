/**
 * Function-level retry policies (`retry` in the function's options), which the host applies to the
 * triggers that support them; of the triggers this host runs, that is the timer.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { RpcDuration, RpcRetryContext, RpcRetryOptions } from "./core-types.ts";
import { errorMessage } from "./invoke.ts";

export async function runWithRetries(
  options: RpcRetryOptions | undefined,
  signal: AbortSignal,
  attempt: (retryContext: RpcRetryContext | undefined) => Promise<void>,
): Promise<void> {
  if (!options) return attempt(undefined);
  const maxRetryCount = options.maxRetryCount ?? 0;
  let lastError: unknown;
  for (let retryCount = 0; ; retryCount++) {
    const context: RpcRetryContext = {
      retryCount,
      maxRetryCount,
      ...(retryCount > 0 ? { exception: toRpcException(lastError) } : {}),
    };
    try {
      return await attempt(context);
    } catch (error) {
      lastError = error;
      const unlimited = maxRetryCount === -1;
      if ((!unlimited && retryCount >= maxRetryCount) || signal.aborted) throw error;
      await sleep(retryDelayMs(options, retryCount + 1), undefined, { signal }).catch(() => undefined);
      if (signal.aborted) throw error;
    }
  }
}

/** Delay before retry number `retry` (1-based). */
export function retryDelayMs(options: RpcRetryOptions, retry: number): number {
  if (options.retryStrategy === "fixedDelay") return durationMs(options.delayInterval);
  const min = durationMs(options.minimumInterval);
  const max = durationMs(options.maximumInterval) || Number.MAX_SAFE_INTEGER;
  return Math.min(max, min * 2 ** (retry - 1));
}

function durationMs(duration: RpcDuration | null | undefined): number {
  return (duration?.seconds ?? 0) * 1000 + Math.floor((duration?.nanos ?? 0) / 1e6);
}

function toRpcException(error: unknown): { message: string; stackTrace?: string } {
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  return cause instanceof Error && cause.stack
    ? { message: cause.message, stackTrace: cause.stack }
    : { message: errorMessage(cause) };
}

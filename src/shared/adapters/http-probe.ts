import { performance } from "node:perf_hooks";
import { describeError } from "../errors.ts";
import type { HealthProbe, ProbeResult } from "../ports/health-probe.ts";
import type { CallOptions } from "../ports/call-options.ts";

/** Probes a health URL with a GET and a hard timeout. Redirects are followed, as a browser would. */
export class FetchHealthProbe implements HealthProbe {
  async probe(
    url: string,
    options: CallOptions & { timeoutInMs: number; readBody?: boolean },
  ): Promise<ProbeResult> {
    const timeout = AbortSignal.timeout(options.timeoutInMs);
    const signal = options.abortSignal ? AbortSignal.any([options.abortSignal, timeout]) : timeout;
    const started = performance.now();
    try {
      const response = await fetch(url, {
        method: "GET",
        signal,
        headers: { "user-agent": "phoenix-ops-health-check" },
      });
      // Drain the body so the connection is reused and the time includes the whole answer.
      const bytes = await response.arrayBuffer();
      return {
        url,
        statusCode: response.status,
        durationInMs: Math.round(performance.now() - started),
        ...(options.readBody ? { body: new TextDecoder().decode(bytes.slice(0, 4096)) } : {}),
      };
    } catch (error) {
      const durationInMs = Math.round(performance.now() - started);
      const reason = timeout.aborted ? `no answer within ${options.timeoutInMs} ms` : describeCause(error);
      return { url, durationInMs, error: reason };
    }
  }
}

function describeCause(error: unknown): string {
  // fetch wraps the network failure ("ECONNREFUSED", "ECONNRESET") in `cause`.
  if (error instanceof Error && error.cause instanceof Error)
    return `${error.message}: ${error.cause.message}`;
  return describeError(error);
}

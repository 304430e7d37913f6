import type { CallOptions } from "./call-options.ts";

export interface ProbeResult {
  url: string;
  statusCode?: number;
  durationInMs: number;
  error?: string;
}

/** An active HTTP check of a health URL. */
export interface HealthProbe {
  probe(url: string, options: CallOptions & { timeoutInMs: number }): Promise<ProbeResult>;
}

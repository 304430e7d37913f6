import type { CallOptions } from "./call-options.ts";

export interface ProbeResult {
  url: string;
  statusCode?: number;
  durationInMs: number;
  error?: string;
  /** The answer's first 4 KiB of text, when the probe was asked to read it (`readBody`). */
  body?: string;
}

/** An active HTTP check of a health URL. */
export interface HealthProbe {
  probe(
    url: string,
    options: CallOptions & { timeoutInMs: number; readBody?: boolean },
  ): Promise<ProbeResult>;
}

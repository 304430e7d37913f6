import type { CallOptions } from "./call-options.ts";

/** Diagnostics bundles (JSON documents) kept per incident. */
export interface DiagnosticsStore {
  saveDiagnostics(incidentId: string, body: string, options?: CallOptions): Promise<string>;
  getDiagnostics(incidentId: string, options?: CallOptions): Promise<string | undefined>;
}

import type { CallOptions } from "./call-options.ts";

export interface LogTable {
  columns: string[];
  rows: unknown[][];
}

/** Log Analytics queries (KQL) against a workspace. */
export interface LogsReader {
  query(workspaceId: string, kql: string, options: CallOptions & { durationInMs: number }): Promise<LogTable>;
}

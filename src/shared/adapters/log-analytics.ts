import { type LogsQueryClient, LogsQueryResultStatus } from "@azure/monitor-query-logs";
import { OpsError, fromAzureError } from "../errors.ts";
import type { CallOptions } from "../ports/call-options.ts";
import type { LogTable, LogsReader } from "../ports/logs-reader.ts";

/** Log Analytics through @azure/monitor-query-logs. A partial result is an error: half an answer misleads. */
export class LogAnalyticsReader implements LogsReader {
  constructor(private readonly client: LogsQueryClient) {}

  async query(
    workspaceId: string,
    kql: string,
    options: CallOptions & { durationInMs: number },
  ): Promise<LogTable> {
    let result;
    try {
      result = await this.client.queryWorkspace(
        workspaceId,
        kql,
        { duration: `PT${Math.ceil(options.durationInMs / 1000)}S` },
        { abortSignal: options.abortSignal },
      );
    } catch (error) {
      throw fromAzureError(error, `Log Analytics workspace ${workspaceId}`);
    }
    if (result.status !== LogsQueryResultStatus.Success) {
      throw new OpsError(
        "AzureRequestFailed",
        `Log Analytics answered part of the query for ${workspaceId}: ${result.partialError.message}`,
      );
    }
    const table = result.tables[0];
    return { columns: table?.columnDescriptors.map((c) => c.name ?? "") ?? [], rows: table?.rows ?? [] };
  }
}

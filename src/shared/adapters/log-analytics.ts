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
      const classified = fromAzureError(error, `Log Analytics workspace ${workspaceId}`);
      const inner = innermostMessage(error);
      // A KQL mistake is explained in the innermost error ("the name 'x' does not refer to ..."), not the outer one.
      throw inner
        ? new OpsError(classified.code, `${classified.message} (${inner})`, {
            cause: error,
            retryable: classified.retryable,
            details: classified.details,
          })
        : classified;
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

/** Log Analytics nests the reason for a refused query: error.innererror(.innererror…).message. */
function innermostMessage(error: unknown): string | undefined {
  let node: unknown = (error as { details?: unknown }).details;
  if (node && typeof node === "object" && "error" in node) node = node.error;
  let message: string | undefined;
  for (let depth = 0; depth < 5 && node && typeof node === "object"; depth++) {
    const record = node as { message?: unknown; innererror?: unknown };
    if (typeof record.message === "string" && depth > 0) message = record.message;
    node = record.innererror;
  }
  return message;
}

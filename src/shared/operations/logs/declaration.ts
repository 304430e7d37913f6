import { isoDurationMs, isoDurationPattern } from "../../durations.ts";
import { z } from "zod";
import { OpsError, isOpsError } from "../../errors.ts";
import type { LogTable } from "../../ports/logs-reader.ts";
import { defineProcedure } from "../../procedures/declaration.ts";
import { tableText } from "../../render/table.ts";

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const duration = z.string().regex(isoDurationPattern, "an ISO 8601 duration such as PT1H or P1D");

export interface LogsQueryResult extends LogTable {
  workspaceId: string;
  timespan: string;
  rowCount: number;
  /** True when the rows were cut at the limit. */
  truncated: boolean;
}

/** The guide's `az monitor log-analytics query --workspace-name $WORKSPACE --query "requests | where timestamp > ago(1h)"`. */
export const logsQuery = defineProcedure({
  name: "logs query",
  summary:
    "Run a KQL query against an environment's Log Analytics workspace (az monitor log-analytics query)",
  input: z
    .object({
      workspaceName: z.string().min(1).max(200).describe("the workspace's name in the ops policy, or its id"),
      query: z.string().min(1).max(20_000).describe("the KQL query"),
      timespan: duration.default("PT1H").describe("how far back the query may look (ISO 8601 duration)"),
      limit: z.number().int().min(1).max(10_000).default(500).describe("at most this many rows"),
    })
    .strict(),
  ports: ["logs"],
  async run(ports, input, context): Promise<LogsQueryResult> {
    const workspaceId = resolveWorkspace(context.policy, input.workspaceName);
    let table: LogTable;
    try {
      table = await ports.logs.query(workspaceId, input.query, {
        durationInMs: isoDurationMs(input.timespan),
        abortSignal: context.abortSignal,
      });
    } catch (error) {
      // Log Analytics answers a KQL mistake with 400: it is the caller's query that is wrong.
      if (isOpsError(error) && error.details.statusCode === 400) {
        throw new OpsError("BadRequest", `the query was refused: ${error.message.replace(/^.*?: /, "")}`, {
          cause: error,
          details: { field: "query" },
        });
      }
      throw error;
    }
    return {
      workspaceId,
      timespan: input.timespan,
      columns: table.columns,
      rows: table.rows.slice(0, input.limit),
      rowCount: table.rows.length,
      truncated: table.rows.length > input.limit,
    };
  },
  table: (result) =>
    `${tableText(
      [result.columns, ...result.rows.map((row) => row.map(cell))],
      "No rows.\n",
    )}${result.truncated ? `(first ${result.rows.length} of ${result.rowCount} rows; --limit raises it)\n` : ""}`,
  changesEstate: false,
  http: { method: "POST", route: "logs/query", auth: "Ops.Reader" },
});

function resolveWorkspace(
  policy: {
    environments: Record<string, { logAnalyticsWorkspaceId?: string; logAnalyticsWorkspaceName?: string }>;
  },
  name: string,
): string {
  const environments = Object.values(policy.environments);
  const byName = environments.find((e) => e.logAnalyticsWorkspaceName?.toLowerCase() === name.toLowerCase());
  if (byName?.logAnalyticsWorkspaceId) return byName.logAnalyticsWorkspaceId;
  if (
    guid.test(name) &&
    environments.some((e) => e.logAnalyticsWorkspaceId?.toLowerCase() === name.toLowerCase())
  ) {
    return name.toLowerCase();
  }
  const known = environments.flatMap((e) =>
    e.logAnalyticsWorkspaceName ? [e.logAnalyticsWorkspaceName] : [],
  );
  throw new OpsError("NotFound", `unknown workspace "${name}"; known: ${known.join(", ") || "none"}`, {
    details: { field: "workspaceName" },
  });
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}

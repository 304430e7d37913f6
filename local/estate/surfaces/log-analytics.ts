import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { EstateContext } from "../context.ts";
import { KqlError, runQuery, serializeTable } from "../logs/kql-lite.ts";
import { workspaceTables } from "../logs/tables.ts";
import type { TableScope } from "../logs/tables.ts";
import { parseTimespan } from "../signals/time.ts";
import { json } from "../server/replies.ts";
import type { Reply, Route } from "../server/router.ts";

/**
 * The Log Analytics query API (`/v1`), as @azure/monitor-query-logs' LogsQueryClient calls it with
 * `endpoint: {estate}/v1`: `POST /v1/workspaces/{id}/query`, the resource-centric
 * `POST /v1/{resourceId}/query`, and `POST /v1/$batch`. Tables are generated from the scenario and the
 * query runs through a small KQL subset (logs/kql-lite.ts). A query without a timespan covers the last
 * 24 hours; the simulated workspace holds the last 7 days.
 */

const defaultTimespan = "PT24H";

const queryBody = z.object({
  query: z.string().min(1),
  timespan: z.string().optional(),
  workspaces: z.array(z.string()).optional(),
});

const batchBody = z.object({
  requests: z
    .array(
      z.object({
        id: z.string(),
        body: queryBody,
        path: z.string().optional(),
        method: z.string().optional(),
        workspace: z.string(),
        headers: z.record(z.string(), z.string()).optional(),
      }),
    )
    .min(1),
});

interface QueryOutcome {
  status: number;
  body: unknown;
}

function logsError(
  status: number,
  code: string,
  message: string,
  inner?: { code: string; message: string },
): QueryOutcome {
  return {
    status,
    body: {
      error: {
        message,
        code,
        correlationId: randomUUID(),
        ...(inner ? { innererror: inner } : {}),
      },
    },
  };
}

function outcomeReply(outcome: QueryOutcome): Reply {
  return json(outcome.body, outcome.status);
}

/** The environment whose data a workspace (by its customerId GUID) holds. */
function workspaceEnvironment(ctx: EstateContext, workspaceId: string): TableScope | undefined {
  const workspace = ctx.state
    .list({ type: "Microsoft.OperationalInsights/workspaces" })
    .find((r) => String(r.resource.properties["customerId"]).toLowerCase() === workspaceId.toLowerCase());
  return workspace
    ? {
        workspaceId: String(workspace.resource.properties["customerId"]),
        ...(workspace.environment ? { environment: workspace.environment } : {}),
      }
    : undefined;
}

/** The workspace that holds a resource's logs: its environment's. */
function workspaceIdFor(ctx: EstateContext, environment: string | undefined): string | undefined {
  const workspace = ctx.state
    .list({ type: "Microsoft.OperationalInsights/workspaces" })
    .find((r) => r.environment === environment);
  const id = workspace?.resource.properties["customerId"];
  return typeof id === "string" ? id : undefined;
}

function execute(
  ctx: EstateContext,
  scope: TableScope,
  query: string,
  timespanText: string | undefined,
): QueryOutcome {
  const span = parseTimespan(timespanText ?? defaultTimespan, new Date());
  if (!span) {
    return logsError(400, "BadArgumentError", "The request had some invalid properties", {
      code: "InvalidTimespan",
      message: `'${timespanText ?? ""}' is not a valid ISO 8601 timespan`,
    });
  }
  const tables = workspaceTables(ctx, scope, span);
  try {
    const result = runQuery(query, (name) => tables.get(name)?.());
    return { status: 200, body: { tables: [serializeTable(result)] } };
  } catch (error) {
    if (error instanceof KqlError) {
      return logsError(400, "BadArgumentError", "The request had some invalid properties", {
        code: error.code,
        message: error.message,
      });
    }
    throw error;
  }
}

function workspaceQuery(
  ctx: EstateContext,
  workspaceId: string,
  body: z.infer<typeof queryBody>,
): QueryOutcome {
  const scope = workspaceEnvironment(ctx, workspaceId);
  if (!scope) {
    return logsError(404, "WorkspaceNotFoundError", `The workspace '${workspaceId}' could not be found`);
  }
  return execute(ctx, scope, body.query, body.timespan);
}

export function logAnalyticsRoutes(ctx: EstateContext): Route[] {
  return [
    {
      method: "POST",
      path: "/v1/workspaces/{workspaceId}/query",
      access: "token",
      name: "logs-query",
      handle: async (request) => {
        const body = queryBody.safeParse(await request.json());
        if (!body.success) {
          return outcomeReply(
            logsError(
              400,
              "BadArgumentError",
              'The request body must be {"query": "...", "timespan": "..."}',
            ),
          );
        }
        return outcomeReply(workspaceQuery(ctx, request.params["workspaceId"] ?? "", body.data));
      },
    },
    {
      method: "GET",
      path: "/v1/workspaces/{workspaceId}/query",
      access: "token",
      name: "logs-query",
      handle: (request) => {
        const query = request.query.get("query");
        if (!query)
          return outcomeReply(logsError(400, "BadArgumentError", "The query parameter 'query' is required"));
        const timespan = request.query.get("timespan");
        return outcomeReply(
          workspaceQuery(ctx, request.params["workspaceId"] ?? "", {
            query,
            ...(timespan ? { timespan } : {}),
          }),
        );
      },
    },
    {
      method: "POST",
      path: /^\/v1(?<resourceId>\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/.+?)\/query$/i,
      access: "token",
      name: "logs-resource-query",
      handle: async (request) => {
        const body = queryBody.safeParse(await request.json());
        if (!body.success) {
          return outcomeReply(
            logsError(400, "BadArgumentError", 'The request body must be {"query": "..."}'),
          );
        }
        const resourceId = request.params["resourceId"] ?? "";
        const record = ctx.state.get(resourceId);
        if (!record)
          return outcomeReply(
            logsError(404, "ResourceNotFoundError", `The resource '${resourceId}' could not be found`),
          );
        return outcomeReply(
          execute(
            ctx,
            {
              resourceId: record.resource.id,
              ...(workspaceIdFor(ctx, record.environment)
                ? { workspaceId: workspaceIdFor(ctx, record.environment) }
                : {}),
            },
            body.data.query,
            body.data.timespan,
          ),
        );
      },
    },
    {
      method: "POST",
      path: "/v1/$batch",
      access: "token",
      name: "logs-batch",
      handle: async (request) => {
        const body = batchBody.safeParse(await request.json());
        if (!body.success) {
          return outcomeReply(
            logsError(400, "BadArgumentError", 'The request body must be {"requests": [...]}'),
          );
        }
        const responses = body.data.requests.map((item) => {
          const outcome =
            (item.path ?? "/query") === "/query"
              ? workspaceQuery(ctx, item.workspace, item.body)
              : logsError(404, "PathNotFoundError", `The path '${item.path ?? ""}' is not served`);
          return { id: item.id, status: outcome.status, body: outcome.body };
        });
        return json({ responses });
      },
    },
  ];
}

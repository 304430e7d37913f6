import { type HttpRequest, type HttpResponseInit, app } from "@azure/functions";
import { z } from "zod";
import { getServices } from "../shared/composition-root.ts";
import { badRequest, httpHandler, json, readJson } from "../shared/http/problem.ts";
import { runHealthCheck } from "../shared/operations/health-check.ts";

const componentList = z
  .union([z.array(z.string().min(1)), z.string()])
  .transform((v) => (Array.isArray(v) ? v : v.split(",")).map((s) => s.trim()).filter((s) => s.length > 0));

/** Body of POST /api/health-checks: the guide's `--environment` and `--components`. */
export const healthCheckRequestSchema = z
  .object({
    environment: z.string().min(1, "environment is required"),
    components: componentList.optional(),
    notify: z.boolean().optional(),
  })
  .strict();

export async function startHealthCheck(request: HttpRequest): Promise<HttpResponseInit> {
  const services = getServices();
  const body = await readJson(
    request,
    healthCheckRequestSchema,
    services.settings.PHOENIX_HTTP_MAX_BODY_BYTES,
  );
  const report = await runHealthCheck(services.healthCheck, {
    environment: body.environment,
    components: body.components,
    notify: body.notify,
    trigger: "http",
  });
  return json(200, report);
}

export async function listHealthChecks(request: HttpRequest): Promise<HttpResponseInit> {
  const services = getServices();
  const environment = request.query.get("environment");
  if (!environment)
    throw badRequest("environment is required", [
      { field: "environment", message: "query parameter is required" },
    ]);
  if (!(environment in services.policy.environments)) {
    throw badRequest(`unknown environment "${environment}"`, [
      { field: "environment", message: "unknown environment" },
    ]);
  }
  const limitText = request.query.get("limit") ?? "20";
  const limit = Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    throw badRequest("limit must be an integer from 1 to 500", [
      { field: "limit", message: "must be an integer from 1 to 500" },
    ]);
  }
  return json(200, { environment, runs: await services.store.listHealthRuns(environment, { limit }) });
}

export async function getHealthCheck(request: HttpRequest): Promise<HttpResponseInit> {
  const services = getServices();
  const { environment = "", runId = "" } = request.params;
  const report =
    /^[\w-]{1,80}$/.test(runId) && environment in services.policy.environments
      ? await services.store.getHealthRun(environment, runId)
      : undefined;
  if (!report)
    return json(404, {
      type: "about:blank",
      title: "Not Found",
      status: 404,
      detail: `no health check ${runId} in ${environment}`,
    });
  return json(200, report);
}

app.http("health-checks-start", {
  methods: ["POST"],
  route: "health-checks",
  authLevel: "function",
  handler: httpHandler(startHealthCheck),
});

app.http("health-checks-list", {
  methods: ["GET"],
  route: "health-checks",
  authLevel: "function",
  handler: httpHandler(listHealthChecks),
});

app.http("health-checks-get", {
  methods: ["GET"],
  route: "health-checks/{environment}/{runId}",
  authLevel: "function",
  handler: httpHandler(getHealthCheck),
});

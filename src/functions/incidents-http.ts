import { type HttpRequest, type HttpResponseInit, app } from "@azure/functions";
import { z } from "zod";
import { opsRoles } from "../shared/auth/roles.ts";
import { getServices } from "../shared/composition-root.ts";
import { authorize, callerName } from "../shared/http/authorize.ts";
import { badRequest, httpHandler, json, readJson } from "../shared/http/problem.ts";
import { priorities } from "../shared/incidents/model.ts";
import {
  acknowledgeIncident,
  getIncidentWithHistory,
  openManualIncident,
  resolveIncident,
} from "../shared/operations/incidents.ts";

const readers = [opsRoles.reader, opsRoles.operator];
const operators = [opsRoles.operator];

/** Body of POST /api/incidents: the guide's `incident-response.sh --severity high --notify-team true`. */
export const manualIncidentSchema = z
  .object({
    severity: z.enum(priorities),
    title: z.string().trim().min(1).max(200).default("Incident response activated"),
    description: z.string().max(4000).optional(),
    environment: z.string().min(1).optional(),
    notifyTeam: z.boolean().default(true),
  })
  .strict();

const noteSchema = z.object({ note: z.string().max(2000).optional() }).strict();

function incidentId(request: HttpRequest): string {
  const id = request.params.id ?? "";
  if (!/^[\w-]{1,80}$/.test(id))
    throw badRequest("id is not an incident id", [{ field: "id", message: "not an incident id" }]);
  return id;
}

async function list(request: HttpRequest): Promise<HttpResponseInit> {
  const services = getServices();
  await authorize(request, services.tokenValidator, readers);
  const status = request.query.get("status");
  if (status !== null && !["open", "acknowledged", "resolved"].includes(status)) {
    throw badRequest("status must be open, acknowledged or resolved", [
      { field: "status", message: "must be open, acknowledged or resolved" },
    ]);
  }
  const limit = Number(request.query.get("limit") ?? "50");
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    throw badRequest("limit must be an integer from 1 to 500", [
      { field: "limit", message: "must be an integer from 1 to 500" },
    ]);
  }
  const incidents = await services.incidents.store.listIncidents({
    status: (status ?? undefined) as "open" | undefined,
    limit,
  });
  return json(200, { incidents });
}

async function show(request: HttpRequest): Promise<HttpResponseInit> {
  const services = getServices();
  await authorize(request, services.tokenValidator, readers);
  return json(200, await getIncidentWithHistory(services.incidents, incidentId(request)));
}

async function diagnostics(request: HttpRequest): Promise<HttpResponseInit> {
  const services = getServices();
  await authorize(request, services.tokenValidator, readers);
  const id = incidentId(request);
  const body = await services.incidents.store.getDiagnostics(id);
  if (!body)
    return json(404, {
      type: "about:blank",
      title: "Not Found",
      status: 404,
      detail: `no diagnostics for ${id} (yet)`,
    });
  return { status: 200, headers: { "content-type": "application/json", "cache-control": "no-store" }, body };
}

async function open(request: HttpRequest): Promise<HttpResponseInit> {
  const services = getServices();
  const caller = await authorize(request, services.tokenValidator, operators);
  const body = await readJson(request, manualIncidentSchema, services.settings.PHOENIX_HTTP_MAX_BODY_BYTES);
  const incident = await openManualIncident(
    services.incidents,
    {
      priority: body.severity,
      title: body.title,
      description: body.description,
      environment: body.environment,
      notifyTeam: body.notifyTeam,
    },
    callerName(caller),
  );
  return json(201, incident);
}

async function acknowledge(request: HttpRequest): Promise<HttpResponseInit> {
  const services = getServices();
  const caller = await authorize(request, services.tokenValidator, operators);
  const { note } = await readJson(request, noteSchema, services.settings.PHOENIX_HTTP_MAX_BODY_BYTES);
  return json(
    200,
    await acknowledgeIncident(services.incidents, incidentId(request), callerName(caller), note),
  );
}

async function resolve(request: HttpRequest): Promise<HttpResponseInit> {
  const services = getServices();
  const caller = await authorize(request, services.tokenValidator, operators);
  const { note } = await readJson(request, noteSchema, services.settings.PHOENIX_HTTP_MAX_BODY_BYTES);
  return json(200, await resolveIncident(services.incidents, incidentId(request), callerName(caller), note));
}

// Entra ID tokens guard these endpoints, so no function key is asked for on top.
app.http("incidents-list", {
  methods: ["GET"],
  route: "incidents",
  authLevel: "anonymous",
  handler: httpHandler(list),
});
app.http("incidents-open", {
  methods: ["POST"],
  route: "incidents",
  authLevel: "anonymous",
  handler: httpHandler(open),
});
app.http("incidents-get", {
  methods: ["GET"],
  route: "incidents/{id}",
  authLevel: "anonymous",
  handler: httpHandler(show),
});
app.http("incidents-diagnostics", {
  methods: ["GET"],
  route: "incidents/{id}/diagnostics",
  authLevel: "anonymous",
  handler: httpHandler(diagnostics),
});
app.http("incidents-acknowledge", {
  methods: ["POST"],
  route: "incidents/{id}/acknowledge",
  authLevel: "anonymous",
  handler: httpHandler(acknowledge),
});
app.http("incidents-resolve", {
  methods: ["POST"],
  route: "incidents/{id}/resolve",
  authLevel: "anonymous",
  handler: httpHandler(resolve),
});

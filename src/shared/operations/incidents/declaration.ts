import pLimit from "p-limit";
import { z } from "zod";
import { OpsError } from "../../errors.ts";
import { priorities } from "../../incidents/model.ts";
import { queueNames } from "../../ports/work-queue.ts";
import { RawJson, defineProcedure } from "../../procedures/declaration.ts";
import type { RunContext } from "../../procedures/declaration.ts";
import type { IncidentPorts } from "./common.ts";
import { collectDiagnostics } from "./diagnostics.ts";
import { runEscalationStep } from "./escalation.ts";
import { receiveAlert } from "./intake.ts";
import { deliverNotification } from "./notifications.ts";
import {
  acknowledgeIncident,
  getIncidentWithHistory,
  openManualIncident,
  resolveIncident,
} from "./operators.ts";
import { processAlertBatch } from "./processing.ts";
import { renderIncident, renderIncidentList } from "./table.ts";

const incidentPorts = [
  "incidents",
  "alerts",
  "outbox",
  "diagnostics",
  "queue",
  "alertIntake",
  "email",
] as const;

const incidentId = z
  .string()
  .regex(/^[\w-]{1,80}$/, "not an incident id")
  .describe("the incident's id (INC-…)");
const note = z.string().max(2000).optional().describe("a note for the incident's history");

function deps(ports: IncidentPorts, context: RunContext) {
  return {
    ...ports,
    policy: context.policy,
    clock: context.clock,
    logger: context.logger,
    apiBaseUrl: context.apiBaseUrl,
  };
}

/** The guide's `incident-response.sh --severity high --notify-team true`. */
export const incidentResponse = defineProcedure({
  name: "incident-response",
  summary: "Activate incident response: open an incident and notify the team (incident-response.sh)",
  input: z
    .object({
      severity: z.enum(priorities).describe("how bad it is"),
      notifyTeam: z.boolean().default(true).describe("email the environment's (or the default) recipients"),
      title: z
        .string()
        .trim()
        .min(1)
        .max(200)
        .default("Incident response activated")
        .describe("what is happening"),
      description: z.string().max(4000).optional().describe("more detail"),
      environment: z.string().min(1).max(80).optional().describe("environment from the ops policy"),
    })
    .strict(),
  ports: incidentPorts,
  run: (ports, input, context) =>
    openManualIncident(
      deps(ports, context),
      {
        priority: input.severity,
        title: input.title,
        description: input.description,
        environment: input.environment,
        notifyTeam: input.notifyTeam,
      },
      context.actor,
    ),
  table: (incident) => renderIncident(incident),
  changesEstate: false,
  http: { method: "POST", route: "incidents", auth: "Ops.Operator", status: 201 },
});

export const incidentsList = defineProcedure({
  name: "incidents list",
  summary: "List incidents, newest first",
  input: z
    .object({
      status: z
        .enum(["open", "acknowledged", "resolved"])
        .optional()
        .describe("only incidents in this state"),
      limit: z.number().int().min(1).max(500).default(50).describe("how many (1 to 500)"),
    })
    .strict(),
  ports: ["incidents"],
  run: async (ports, input, context) => ({
    incidents: await ports.incidents.listIncidents(
      { status: input.status, limit: input.limit },
      { abortSignal: context.abortSignal },
    ),
  }),
  table: ({ incidents }) => renderIncidentList(incidents),
  changesEstate: false,
  http: { method: "GET", route: "incidents", auth: "Ops.Reader" },
});

export const incidentsShow = defineProcedure({
  name: "incidents show",
  summary: "Show an incident and its history",
  input: z.object({ id: incidentId }).strict(),
  ports: incidentPorts,
  run: (ports, input, context) => getIncidentWithHistory(deps(ports, context), input.id),
  table: ({ incident, history }) => renderIncident(incident, history),
  changesEstate: false,
  http: { method: "GET", route: "incidents/{id}", auth: "Ops.Reader" },
  cli: { positionals: ["id"] },
});

export const incidentsDiagnostics = defineProcedure({
  name: "incidents diagnostics",
  summary: "The diagnostics collected for an incident (metrics, failed and slowest requests)",
  input: z.object({ id: incidentId }).strict(),
  ports: ["diagnostics"],
  async run(ports, input, context) {
    const body = await ports.diagnostics.getDiagnostics(input.id, { abortSignal: context.abortSignal });
    if (!body) throw new OpsError("NotFound", `no diagnostics for ${input.id} (yet)`);
    return new RawJson(body);
  },
  changesEstate: false,
  http: { method: "GET", route: "incidents/{id}/diagnostics", auth: "Ops.Reader" },
  cli: { positionals: ["id"] },
});

export const incidentsAcknowledge = defineProcedure({
  name: "incidents ack",
  summary: "Acknowledge an incident: stops its escalation",
  input: z.object({ id: incidentId, note }).strict(),
  ports: incidentPorts,
  run: (ports, input, context) =>
    acknowledgeIncident(deps(ports, context), input.id, context.actor, input.note),
  table: (incident) => `Acknowledged ${incident.id}; escalation stopped.\n`,
  changesEstate: false,
  http: { method: "POST", route: "incidents/{id}/acknowledge", auth: "Ops.Operator" },
  cli: { positionals: ["id"] },
});

export const incidentsResolve = defineProcedure({
  name: "incidents resolve",
  summary: "Resolve an incident",
  input: z.object({ id: incidentId, note }).strict(),
  ports: incidentPorts,
  run: (ports, input, context) => resolveIncident(deps(ports, context), input.id, context.actor, input.note),
  table: (incident) => `Resolved ${incident.id}.\n`,
  changesEstate: false,
  http: { method: "POST", route: "incidents/{id}/resolve", auth: "Ops.Operator" },
  cli: { positionals: ["id"] },
});

/**
 * The action group's webhook. It answers 202 as soon as the alert is durably queued; turning it into
 * an incident happens from the queue. Any valid JSON is kept, recognised or not.
 */
export const alertsWebhook = defineProcedure({
  name: "alerts webhook",
  summary: "Azure Monitor action group webhook",
  input: z.object({ payload: z.unknown() }).strict(),
  ports: incidentPorts,
  async run(ports, input, context, raw) {
    const result = await receiveAlert(
      deps(ports, context),
      input.payload,
      raw ?? JSON.stringify(input.payload),
    );
    return { status: "accepted", recognized: result.recognized, key: result.key };
  },
  changesEstate: false,
  http: {
    method: "POST",
    route: "alerts",
    auth: "webhook",
    status: 202,
    rawBody: true,
    maxBodySetting: "PHOENIX_ALERTS_MAX_BODY_BYTES",
  },
  cli: { hidden: true },
});

/**
 * Alert batches processed at once by one instance. The queue trigger's batch size is the host's, for
 * every queue; steps that mostly wait on Azure (a scaling change following its long-running operation)
 * want many at once, while alert processing is storage-bound and, run wide, takes the storage and CPU
 * the webhook needs in a storm. A bound on concurrency, not state: nothing is kept between invocations.
 */
const alertBatchesAtOnce = pLimit(2);

export const alertsProcess = defineProcedure({
  name: "alerts process",
  summary: "Turns queued alert deliveries into incidents",
  // Each delivery in the message is checked by the operation, so that one bad entry spoils no other.
  input: z.looseObject({}),
  ports: [...incidentPorts, "maintenance"],
  run: (ports, input, context) => alertBatchesAtOnce(() => processAlertBatch(deps(ports, context), input)),
  changesEstate: false,
  queue: { name: "alerts-process", queue: queueNames.alerts },
  cli: { hidden: true },
});

export const escalationStep = defineProcedure({
  name: "escalation step",
  summary: "Pages the next escalation level of an unacknowledged incident",
  input: z.object({
    incidentId: z.string().min(1),
    level: z.number().int().min(0),
    round: z.number().int().min(0),
  }),
  ports: incidentPorts,
  run: (ports, input, context) => runEscalationStep(deps(ports, context), input),
  changesEstate: false,
  queue: { name: "escalation-step", queue: queueNames.escalations },
  cli: { hidden: true },
});

export const notificationSend = defineProcedure({
  name: "notification send",
  summary: "Sends an email of the outbox",
  input: z.object({ incidentId: z.string().min(1), notificationId: z.string().min(1) }),
  ports: incidentPorts,
  run: (ports, input, context) => deliverNotification(deps(ports, context), input),
  changesEstate: false,
  queue: { name: "notification-send", queue: queueNames.notifications },
  cli: { hidden: true },
});

export const diagnosticsCollect = defineProcedure({
  name: "diagnostics collect",
  summary: "Collects an incident's diagnostics",
  input: z.object({ incidentId: z.string().min(1) }),
  ports: ["incidents", "diagnostics", "metrics", "logs"],
  run: (ports, input, context) =>
    collectDiagnostics(
      { ...ports, policy: context.policy, clock: context.clock, logger: context.logger },
      input.incidentId,
    ),
  changesEstate: false,
  queue: { name: "diagnostics-collect", queue: queueNames.diagnostics },
  cli: { hidden: true },
});

import { z } from "zod";
import type { ChangeRecord } from "../../change-control/model.ts";
import type { ChangeEvent } from "../../change-control/model.ts";
import { OpsError } from "../../errors.ts";
import { defineProcedure } from "../../procedures/declaration.ts";
import { queueNames } from "../../ports/work-queue.ts";
import { renderChange } from "../changes/render.ts";
import { type ScaleBackMessage } from "./hooks.ts";
import { scaleBack, scaleForAlert, scaleOnDemand } from "./steps.ts";

const scalingPorts = ["plans", "autoscale", "incidents", "changes", "queue"] as const;

export interface ScaleResult {
  change: ChangeRecord;
  events: ChangeEvent[];
}

/**
 * The guide's emergency scaling: `az webapp scale --name $APP_NAME --resource-group $RESOURCE_GROUP
 * --plan-size P2V2` (the app's plan is scaled up), plus `--instances N`, through change control.
 */
export const scale = defineProcedure({
  name: "scale",
  summary:
    "Scale a web app's App Service plan up (--plan-size) and/or out (--instances), through change control",
  description: `The plan is read, the change planned and checked against the ops policy (the environment's SKU
ladder and instance range, the change freeze, cooldown and hourly limit), recorded, applied (a full PUT of
the plan, a long-running operation), read back and verified. --dry-run shows the plan and changes nothing.
A repeat with the same --key (or the same request within ten minutes) answers the first change.
With an enabled autoscale setting on the plan, --instances raises autoscale's minimum instead.`,
  input: z
    .object({
      name: z
        .string()
        .regex(/^[\w-]{1,60}$/, "an App Service name: letters, digits, - and _ (at most 60)")
        .describe("the web app (or the App Service plan) to scale"),
      resourceGroup: z
        .string()
        .regex(/^[\w.()-]{1,90}$/, "a resource group name: letters, digits and . _ - ( ) (at most 90)")
        .describe("its resource group"),
      planSize: z.string().min(1).max(20).optional().describe("the SKU to scale the plan to, e.g. P2V2"),
      instances: z
        .number()
        .int()
        .min(1)
        .max(100)
        .optional()
        .describe("the instance count to scale out (or in) to"),
      incident: z
        .string()
        .regex(/^INC-[\w-]{1,80}$/, "not an incident id")
        .optional()
        .describe("the incident this change is for: its history lists the change"),
    })
    .strict(),
  ports: scalingPorts,
  run: async (ports, input, context): Promise<ScaleResult> => {
    if (input.planSize === undefined && input.instances === undefined) {
      throw new OpsError("BadRequest", "give the SKU (planSize), the instance count (instances) or both", {
        details: { field: "planSize" },
      });
    }
    const change = await scaleOnDemand(ports, input, context);
    return {
      change,
      events: await ports.changes.listEvents(change.id, { abortSignal: context.abortSignal }),
    };
  },
  status: ({ change }) =>
    change.status === "failed"
      ? "critical"
      : change.status === "succeeded" || change.status === "dry-run" || change.status === "no-change"
        ? "ok"
        : "warning",
  table: ({ change, events }) => renderChange(change, events),
  changesEstate: true,
  http: { method: "POST", route: "scale", auth: "Ops.Operator" },
});

/** An alert whose rule scales: the scale-up (or out) it asks for, through change control. */
export const scalingAlert = defineProcedure({
  name: "scaling alert",
  summary: "Scales the plan an alert fired on, as its rule says",
  input: z
    .object({
      incidentId: z.string().min(1),
      alertId: z.string().min(1),
      rule: z.string().min(1),
      target: z.string().min(1),
    })
    .strict(),
  ports: scalingPorts,
  run: (ports, input, context) => scaleForAlert(ports, input, context),
  changesEstate: true,
  queue: { name: "scaling-alert", queue: queueNames.scaling },
  cli: { hidden: true },
});

/** The scale-back of a resolved incident's scaling, after its stabilisation period. */
export const scalingBack = defineProcedure({
  name: "scaling back",
  summary: "Scales a plan back to where it was before an incident's scaling",
  input: z
    .object({ incidentId: z.string().min(1), attempt: z.number().int().min(0).max(100) })
    .strict() satisfies z.ZodType<ScaleBackMessage>,
  ports: scalingPorts,
  run: (ports, input, context) => scaleBack(ports, input, context),
  changesEstate: true,
  queue: { name: "scaling-back", queue: queueNames.scaleBack },
  cli: { hidden: true },
});

import { canonicalSku } from "../../app-service-skus.ts";
import { parseResourceId } from "../../azure-ids.ts";
import { type ChangeRecord, isFinal } from "../../change-control/model.ts";
import { OpsError } from "../../errors.ts";
import type { IncidentEvent } from "../../incidents/model.ts";
import { knownName } from "../../names.ts";
import type { Ports } from "../../ports/catalogue.ts";
import { queueNames } from "../../ports/work-queue.ts";
import type { RunContext } from "../../procedures/declaration.ts";
import type { ScaleBackMessage } from "./hooks.ts";
import { changeControlOf, environmentOf, planOfTarget, scaleChange, scalingOf } from "./operation.ts";
import { describeState, instancesOf, sameScale, stepTarget, targetIssue, type ScaleState } from "./plan.ts";

type ScalingPorts = Pick<Ports, "plans" | "autoscale" | "incidents" | "changes" | "queue">;

/** On-demand scales of one request within this many minutes share a natural key: a double submit is one change. */
const onDemandKeyMinutes = 10;

/** How many times a scale-back a guardrail held off is tried again, and how long apart at least. */
const scaleBackAttempts = 6;
const scaleBackRetrySeconds = 60;

export async function scaleOnDemand(
  ports: ScalingPorts,
  input: { name: string; resourceGroup: string; planSize?: string; instances?: number; incident?: string },
  context: RunContext,
): Promise<ChangeRecord> {
  const change = changeControlOf(context.change);
  const options = { abortSignal: context.abortSignal };
  const { name: environmentName, environment } = environmentOf(
    context.policy,
    undefined,
    input.resourceGroup,
  );
  const scaling = scalingOf(environmentName, environment);
  const issue = targetIssue({ sku: input.planSize, instances: input.instances }, scaling);
  if (issue) throw new OpsError("BadRequest", issue.message, { details: { field: issue.field } });
  const sku = input.planSize === undefined ? undefined : canonicalSku(input.planSize);

  const site = await ports.plans.siteOf(environment.subscriptionId, input.resourceGroup, input.name, options);
  let planId = site?.planId;
  if (!planId) {
    // Not a web app: the name may be the plan's own.
    const candidate = `/subscriptions/${environment.subscriptionId}/resourceGroups/${input.resourceGroup}/providers/Microsoft.Web/serverfarms/${input.name}`;
    if (await ports.plans.get(candidate, options)) planId = candidate;
  }
  if (!planId) {
    throw new OpsError(
      "NotFound",
      `no web app or App Service plan "${input.name}" in resource group ${input.resourceGroup}`,
      { details: { field: "name" } },
    );
  }
  if (input.incident && !(await ports.incidents.getIncident(input.incident, options))) {
    throw new OpsError("NotFound", `no incident ${input.incident}`, { details: { field: "incident" } });
  }
  const bucket = Math.floor(context.clock.now().getTime() / (onDemandKeyMinutes * 60_000));
  const record = await change.execute(
    scaleChange(
      ports,
      {
        planId,
        environment: environmentName,
        action: `scale ${[sku, input.instances === undefined ? undefined : `×${input.instances}`].filter(Boolean).join(" ")}`,
        naturalKey: `scale|${planId.toLowerCase()}|${sku ?? "-"}|${input.instances ?? "-"}|${bucket}`,
        defaultReason: `on demand${site ? ` for ${site.siteName}` : ""}`,
        ...(input.incident
          ? { requestedBy: { kind: "operator", name: context.actor, incidentId: input.incident } as const }
          : {}),
        target: (before) => ({ sku: sku ?? before.sku, instances: input.instances ?? instancesOf(before) }),
        asked: { planId: planId.toLowerCase(), sku: sku ?? null, instances: input.instances ?? null },
      },
      options,
    ),
  );
  if (input.incident) await linkToIncident(ports, input.incident, record, context);
  return record;
}

/** The scaling an alert's rule asks for, once per alert (its id and rule are the change's key). */
export async function scaleForAlert(
  ports: ScalingPorts,
  input: { incidentId: string; alertId: string; rule: string; target: string },
  context: RunContext,
): Promise<string> {
  const change = changeControlOf(context.change);
  const options = { abortSignal: context.abortSignal };
  const rule = context.policy.alertRules.find((r) => r.name === input.rule);
  if (!rule?.scale) return `rule ${input.rule} has no scaling action`;
  const incident = await ports.incidents.getIncident(input.incidentId, options);
  if (incident?.status === "resolved") {
    // The alert resolved before its scaling ran (a backlog, a short spike): nothing left to relieve.
    await note(
      ports,
      input.incidentId,
      "scaling-skipped",
      "scaling skipped: the incident resolved before it ran",
      context,
    );
    return "incident already resolved";
  }
  // The environment the target lives in (its resource group), else the one the rule names.
  const located = environmentOfTarget(context.policy, input.target);
  const environmentName = located ?? rule.target?.environment;
  const environment = environmentName ? knownName(context.policy.environments, environmentName) : undefined;
  if (!environmentName || !environment?.scaling) {
    await note(
      ports,
      input.incidentId,
      "scaling-skipped",
      `scaling skipped: ${environmentName ? `environment ${environmentName} has no scaling policy` : "the target is in no environment of the policy"}`,
      context,
    );
    return "no scaling policy";
  }
  const planId =
    (await planOfTarget(ports, input.target, options)) ??
    (rule.target?.resource === "plan" ? environment.appServicePlan : undefined);
  if (!planId) {
    await note(
      ports,
      input.incidentId,
      "scaling-skipped",
      `scaling skipped: ${input.target} is not an App Service plan or a web app on one`,
      context,
    );
    return "no plan";
  }
  const scaling = environment.scaling;
  const action = rule.scale;
  const record = finalOrRetry(
    await change.execute(
      scaleChange(
        ports,
        {
          planId,
          environment: environmentName,
          action: [action.up ? "scale up" : "", action.out > 0 ? `scale out +${action.out}` : ""]
            .filter(Boolean)
            .join(", "),
          naturalKey: `alert|${input.alertId}|${input.rule}|scale`,
          defaultReason: `${input.rule} fired (incident ${input.incidentId})`,
          requestedBy: {
            kind: "alert",
            name: input.rule,
            alertId: input.alertId,
            incidentId: input.incidentId,
          },
          target: (before) => {
            const step = stepTarget(before, action, scaling);
            return "target" in step ? step.target : step;
          },
          asked: { planId: planId.toLowerCase(), up: action.up, out: action.out },
        },
        options,
      ),
    ),
  );
  await linkToIncident(ports, input.incidentId, record, context);
  if (record.status === "succeeded" && action.back === "manual") {
    const before = record.before as ScaleState;
    await note(
      ports,
      input.incidentId,
      `scale-back-manual-${record.id}`,
      `scale-back is manual for ${input.rule}: to restore ${describeState(before)}, run phoenix-ops scale --name ${before.planName} --resource-group ${resourceGroupOf(before.planId)} --plan-size ${before.sku} --instances ${instancesOf(before)} --incident ${input.incidentId}`,
      context,
    );
  }
  return `${record.id} ${record.status}`;
}

/**
 * Undoes a resolved incident's scaling: each change the app made for it, back to its before-state, and
 * only while the plan still is as that change left it (someone may have resized it since). A guardrail
 * that holds the scale-back off (a cooldown, the hourly limit, a freeze, another change in flight) gets
 * it tried again later, a few times, each try its own record in the audit trail.
 */
export async function scaleBack(
  ports: ScalingPorts,
  input: ScaleBackMessage,
  context: RunContext,
): Promise<string> {
  const change = changeControlOf(context.change);
  const options = { abortSignal: context.abortSignal };
  const incident = await ports.incidents.getIncident(input.incidentId, options);
  if (!incident) return "no such incident";
  if (incident.status !== "resolved") return `incident is ${incident.status}: not scaled back`;
  const history = await ports.incidents.listEvents(incident.id, options);
  // A "scaled" event names its change first: the history keeps what it shows, not the event's id.
  const changeIds = history
    .filter((e) => e.type === "scaled")
    .map((e) => /^(CHG-[\w-]+) /.exec(e.detail)?.[1])
    .filter((id): id is string => id !== undefined);
  if (changeIds.length === 0) return "nothing to scale back";
  const outcomes: string[] = [];
  let retry = false;
  for (const changeId of changeIds.reverse()) {
    const scaled = await ports.changes.get(changeId, options);
    if (!scaled || scaled.status !== "succeeded") continue;
    const before = scaled.before as ScaleState;
    const left = (scaled.observed ?? scaled.after) as ScaleState;
    const record = finalOrRetry(
      await change.execute(
        scaleChange(
          ports,
          {
            planId: scaled.resourceId,
            environment: scaled.environment,
            action: "scale back",
            naturalKey: `scale-back|${changeId}|${input.attempt}`,
            defaultReason: `incident ${incident.id} resolved; undoing ${changeId}`,
            requestedBy: { kind: "system", name: "scale-back", incidentId: incident.id },
            target: (current) =>
              sameScale(left, current)
                ? { sku: before.sku, instances: instancesOf(before) }
                : {
                    blocked: {
                      rule: "changed-since",
                      detail: `the plan is now ${describeState(current)}, not ${describeState(left)} as ${changeId} left it: scale it back by hand if it should be`,
                    },
                  },
            asked: { undo: changeId },
          },
          options,
        ),
      ),
    );
    await linkToIncident(ports, incident.id, record, context);
    const heldOff =
      record.status === "in-flight" ||
      (record.status === "blocked" &&
        ["cooldown", "rate-limit", "freeze"].includes(record.blockedBy?.rule ?? ""));
    if (heldOff) retry = true;
    outcomes.push(`${changeId}: ${record.id} ${record.status}`);
  }
  if (retry) {
    if (input.attempt + 1 < scaleBackAttempts) {
      const delay = Math.max(scaleBackRetrySeconds, context.policy.changeControl.cooldownMinutes * 60);
      await ports.queue.send(
        queueNames.scaleBack,
        { incidentId: incident.id, attempt: input.attempt + 1 },
        { delayInSeconds: delay },
      );
      outcomes.push(`held off: tried again in ${delay}s`);
    } else {
      await note(
        ports,
        incident.id,
        "scale-back-gave-up",
        `scale-back gave up after ${scaleBackAttempts} tries held off by guardrails: restore the plan with phoenix-ops scale`,
        context,
      );
    }
  }
  return outcomes.join("; ");
}

/**
 * A queue step's change must be final before it is linked: one still "requested" or "started" is
 * another delivery's work in progress (or a crash's leftover); failing the step brings the message back
 * until that change has finished, instead of linking an interim record the history would keep for ever.
 */
function finalOrRetry(record: ChangeRecord): ChangeRecord {
  if (isFinal(record.status)) return record;
  throw new OpsError(
    "Conflict",
    `change ${record.id} is ${record.status}: trying again once it has finished`,
    {
      retryable: true,
      details: { changeId: record.id },
    },
  );
}

/** The incident's history lists every change made for it; "scaled" marks one the scale-back undoes. */
async function linkToIncident(
  ports: ScalingPorts,
  incidentId: string,
  record: ChangeRecord,
  context: RunContext,
): Promise<void> {
  // Only what an alert scaled is scaled back by the app; an operator's own change stays theirs.
  const scaledUp = record.status === "succeeded" && !record.dryRun && record.requestedBy.kind === "alert";
  const entry: IncidentEvent = {
    id: `change-${record.id}`,
    at: context.clock.now().toISOString(),
    type: scaledUp ? "scaled" : "change",
    by: record.requestedBy.name,
    detail: `${record.id} ${record.status}${record.dryRun ? " (dry run)" : ""}: ${record.summary}${record.blockedBy ? ` [${record.blockedBy.rule}: ${record.blockedBy.detail}]` : ""}${record.error ? ` (${record.error})` : ""}`,
  };
  // A redelivery adds a link that failed: the event has an id, the change answers its first record.
  await ports.incidents.appendEvent(incidentId, entry, { abortSignal: context.abortSignal });
}

async function note(
  ports: ScalingPorts,
  incidentId: string,
  id: string,
  detail: string,
  context: RunContext,
): Promise<void> {
  await ports.incidents.appendEvent(
    incidentId,
    { id, at: context.clock.now().toISOString(), type: "scaling", by: "system", detail },
    { abortSignal: context.abortSignal },
  );
}

/** The policy environment a resource lives in (its subscription and resource group), if any. */
function environmentOfTarget(policy: RunContext["policy"], target: string): string | undefined {
  let parsed;
  try {
    parsed = parseResourceId(target);
  } catch {
    return undefined;
  }
  try {
    return environmentOf(policy, parsed.subscriptionId, parsed.resourceGroup).name;
  } catch {
    return undefined;
  }
}

function resourceGroupOf(id: string): string {
  return parseResourceId(id).resourceGroup;
}

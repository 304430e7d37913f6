import { parseResourceId } from "../../azure-ids.ts";
import { canonicalSku } from "../../app-service-skus.ts";
import type { ChangeControl, ProcedureChange } from "../../change-control/control.ts";
import type { ChangeRequester } from "../../change-control/model.ts";
import type { EnvironmentPolicy, OpsPolicy, ScalingPolicy } from "../../config/policy.ts";
import { OpsError } from "../../errors.ts";
import { knownName } from "../../names.ts";
import type { AppServicePlans } from "../../ports/app-service-plans.ts";
import type { AutoscaleSettings } from "../../ports/autoscale-settings.ts";
import type { CallOptions } from "../../ports/call-options.ts";
import { type ScaleState, type ScaleTarget, planScale, sameScale } from "./plan.ts";

export interface ScalingPorts {
  plans: AppServicePlans;
  autoscale: AutoscaleSettings;
}

/** The plan and its autoscale, read together: one state for change control to plan and verify. */
export async function readScale(
  ports: ScalingPorts,
  planId: string,
  options: CallOptions,
): Promise<ScaleState> {
  const [plan, autoscale] = await Promise.all([
    ports.plans.get(planId, options),
    ports.autoscale.forTarget(planId, options),
  ]);
  if (!plan) throw new OpsError("NotFound", `App Service plan ${planId} was not found`);
  return {
    planId: plan.id,
    planName: plan.name,
    sku: canonicalSku(plan.skuName) ?? plan.skuName.toUpperCase(),
    tier: plan.tier,
    capacity: plan.capacity,
    autoscale:
      autoscale?.enabled === true
        ? {
            settingId: autoscale.settingId,
            name: autoscale.name,
            minimum: autoscale.minimum,
            maximum: autoscale.maximum,
          }
        : null,
  };
}

/**
 * A scaling change as change control runs it: read the plan (and autoscale), plan the target, apply
 * the SKU with a full PUT and the instance count through autoscale when it owns it, read back.
 */
export function scaleChange(
  ports: ScalingPorts,
  request: {
    planId: string;
    environment: string;
    target: (before: ScaleState) => ScaleTarget | { blocked: { rule: string; detail: string } };
    action: string;
    naturalKey: string;
    defaultReason: string;
    requestedBy?: ChangeRequester;
    /** What was asked, as data: the same key with another request is refused. */
    asked: unknown;
  },
  options: CallOptions,
): ProcedureChange<ScaleState> {
  return {
    naturalKey: request.naturalKey,
    defaultReason: request.defaultReason,
    ...(request.requestedBy ? { requestedBy: request.requestedBy } : {}),
    environment: request.environment,
    resourceId: request.planId,
    action: request.action,
    request: request.asked,
    read: () => readScale(ports, request.planId, options),
    plan: (before) => {
      const target = request.target(before);
      return "blocked" in target ? { blocked: target.blocked } : planScale(before, target);
    },
    apply: async (token, before, after) => {
      const skuChanges = after.sku !== before.sku;
      const capacityChanges = after.autoscale === null && after.capacity !== before.capacity;
      if (skuChanges || capacityChanges) {
        // With autoscale on, the PUT keeps today's count: autoscale owns it.
        await ports.plans.update(
          token,
          before.planId,
          { skuName: after.sku, capacity: after.capacity },
          options,
        );
      }
      if (after.autoscale && before.autoscale && after.autoscale.minimum !== before.autoscale.minimum) {
        await ports.autoscale.setMinimum(token, after.autoscale.settingId, after.autoscale.minimum, options);
      }
    },
    verify: sameScale,
  };
}

/** The environment a resource group belongs to, and its scaling policy; a 404 names the known ones. */
export function environmentOf(
  policy: OpsPolicy,
  subscriptionId: string | undefined,
  resourceGroup: string,
): { name: string; environment: EnvironmentPolicy } {
  const found = Object.entries(policy.environments).find(
    ([, env]) =>
      env.resourceGroup.toLowerCase() === resourceGroup.toLowerCase() &&
      (subscriptionId === undefined || env.subscriptionId.toLowerCase() === subscriptionId.toLowerCase()),
  );
  if (!found) {
    throw new OpsError(
      "NotFound",
      `resource group "${resourceGroup}" is not in the ops policy; known: ${Object.values(policy.environments)
        .map((e) => e.resourceGroup)
        .join(", ")}`,
      { details: { field: "resourceGroup" } },
    );
  }
  return { name: found[0], environment: found[1] };
}

export function scalingOf(name: string, environment: EnvironmentPolicy): ScalingPolicy {
  if (!environment.scaling) {
    throw new OpsError(
      "BadRequest",
      `environment "${name}" has no scaling policy (environments.${name}.scaling in the ops policy): it is never scaled`,
      { details: { field: "resourceGroup" } },
    );
  }
  return environment.scaling;
}

/** The plan a scaling alert is about: the plan itself, or the plan a site runs on. */
export async function planOfTarget(
  ports: ScalingPorts,
  target: string,
  options: CallOptions,
): Promise<string | undefined> {
  let parsed;
  try {
    parsed = parseResourceId(target);
  } catch {
    return undefined;
  }
  const type = parsed.type.toLowerCase();
  if (type === "microsoft.web/serverfarms") return target;
  if (type === "microsoft.web/sites") {
    const site = await ports.plans.siteOf(parsed.subscriptionId, parsed.resourceGroup, parsed.name, options);
    return site?.planId;
  }
  return undefined;
}

export function environmentByName(policy: OpsPolicy, name: string | null): EnvironmentPolicy | undefined {
  return name ? knownName(policy.environments, name) : undefined;
}

/** Refuses a run without change control: only the registry's edges build one. */
export function changeControlOf(change: ChangeControl | undefined): ChangeControl {
  if (!change) throw new OpsError("Internal", "an estate change was run without change control");
  return change;
}

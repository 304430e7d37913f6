import { canonicalSku, isSingleInstanceTier, tierOf } from "../../app-service-skus.ts";
import type { Plan } from "../../change-control/execute.ts";
import type { ScalingPolicy } from "../../config/policy.ts";

/** What change control reads, plans and verifies for a scaling change: the plan and its autoscale. */
export interface ScaleState {
  planId: string;
  planName: string;
  /** Canonical upper case (`P2V2`). */
  sku: string;
  tier: string;
  capacity: number;
  /** Set when an enabled autoscale setting owns the plan's instance count. */
  autoscale: { settingId: string; name: string; minimum: number; maximum: number } | null;
}

/** An instance count the plan should have, and the SKU: what a scale asks for, absolutely. */
export interface ScaleTarget {
  sku: string;
  instances: number;
}

/** The instance count that counts: autoscale's minimum when autoscale owns it. */
export function instancesOf(state: ScaleState): number {
  return state.autoscale ? state.autoscale.minimum : state.capacity;
}

export function describeState(state: ScaleState): string {
  return state.autoscale
    ? `${state.sku}, autoscale minimum ${state.autoscale.minimum}`
    : `${state.sku} ×${state.capacity}`;
}

/**
 * Where an alert's scaling action leads from the current state: the next SKU of the ladder when it
 * scales up, N more instances when it scales out, each held at the policy's cap. Nothing left to climb
 * is a block the audit trail records, never a silent no-op.
 */
export function stepTarget(
  before: ScaleState,
  action: { up: boolean; out: number },
  scaling: ScalingPolicy,
): { target: ScaleTarget } | { blocked: { rule: string; detail: string } } {
  const ladder = scaling.skus;
  const index = ladder.indexOf(before.sku);
  let sku = before.sku;
  const notes: string[] = [];
  if (action.up) {
    if (index === -1) {
      return {
        blocked: {
          rule: "sku-ladder",
          detail: `${before.planName} runs ${before.sku}, which is not on the environment's ladder (${ladder.join(", ")})`,
        },
      };
    }
    const next = ladder[index + 1];
    if (next) sku = next;
    else notes.push(`${before.sku} is the cap (the top of ${ladder.join(" → ")})`);
  }
  let instances = instancesOf(before);
  if (action.out > 0) {
    const wanted = Math.min(instances + action.out, scaling.maxInstances);
    if (wanted === instances) notes.push(`${instances} instances is the maximum`);
    instances = wanted;
  }
  if (sku === before.sku && instances === instancesOf(before)) {
    return { blocked: { rule: "cap", detail: `nothing left to scale: ${notes.join("; ")}` } };
  }
  return { target: { sku, instances } };
}

/**
 * Checks an operator's target against the policy before anything is read: a SKU App Service does not
 * have, one the ladder does not allow (a scale-down below the floor included), or an instance count
 * out of range is the caller's mistake, answered with what is allowed.
 */
export function targetIssue(
  request: { sku?: string; instances?: number },
  scaling: ScalingPolicy,
): { field: "planSize" | "instances"; message: string } | undefined {
  if (request.sku !== undefined) {
    const sku = canonicalSku(request.sku);
    if (!sku) {
      return {
        field: "planSize",
        message: `${request.sku} is not an App Service plan SKU; the policy allows ${scaling.skus.join(", ")}`,
      };
    }
    if (!scaling.skus.includes(sku)) {
      const floor = scaling.skus[0] ?? "";
      return {
        field: "planSize",
        message: `${sku} is not allowed by the policy: it allows ${scaling.skus.join(", ")} (floor ${floor}, cap ${scaling.skus.at(-1) ?? ""})`,
      };
    }
  }
  if (request.instances !== undefined) {
    if (request.instances < scaling.minInstances || request.instances > scaling.maxInstances) {
      return {
        field: "instances",
        message: `${request.instances} instances is out of range: the policy allows ${scaling.minInstances} to ${scaling.maxInstances}`,
      };
    }
  }
  return undefined;
}

/** The plan change control records: before → after, in words and as data. */
export function planScale(before: ScaleState, target: ScaleTarget): Plan<ScaleState> {
  const tier = tierOf(target.sku) ?? before.tier;
  if (isSingleInstanceTier(tier) && target.instances > 1) {
    return { blocked: { rule: "sku", detail: `${target.sku} (${tier}) runs one instance only` } };
  }
  const after: ScaleState = before.autoscale
    ? {
        ...before,
        sku: target.sku,
        tier,
        autoscale: {
          ...before.autoscale,
          minimum: target.instances,
          maximum: Math.max(before.autoscale.maximum, target.instances),
        },
      }
    : { ...before, sku: target.sku, tier, capacity: target.instances };
  if (after.sku === before.sku && instancesOf(after) === instancesOf(before)) {
    return { noChange: `${before.planName} already is ${describeState(before)}` };
  }
  const via =
    before.autoscale && instancesOf(after) !== instancesOf(before)
      ? ` (autoscale ${before.autoscale.name} owns the instance count: its minimum is set instead)`
      : "";
  return {
    after,
    summary: `${before.planName}: ${describeState(before)} → ${describeState(after)}${via}`,
  };
}

/** Whether what was read back is the state the plan led to. */
export function sameScale(expected: ScaleState, observed: ScaleState): boolean {
  return (
    expected.sku === observed.sku &&
    instancesOf(expected) === instancesOf(observed) &&
    (expected.autoscale === null) === (observed.autoscale === null)
  );
}

import type { OpsPolicy } from "../config/policy.ts";
import type { ChangeRecord } from "./model.ts";

export interface Blocked {
  rule: string;
  detail: string;
}

/**
 * The guardrails every change passes, whatever it changes: a freeze (everywhere or per environment)
 * that only a forced change with a reason gets through, a cooldown between changes of one resource,
 * and at most N changes of one resource an hour. What a procedure knows of its own resource (SKU caps,
 * instance limits) it checks in its plan.
 */
export function checkGuardrails(
  policy: OpsPolicy,
  change: Pick<ChangeRecord, "environment" | "resourceId" | "forced"> & { remedy?: string | undefined },
  recent: readonly ChangeRecord[],
  now: Date,
): Blocked | undefined {
  const rules = policy.changeControl;
  const frozen = rules.freeze.all || rules.freeze.environments.includes(change.environment);
  if (frozen && !change.forced) {
    return {
      rule: "freeze",
      detail: `changes are frozen${rules.freeze.all ? "" : ` in ${change.environment}`}${rules.freeze.reason ? ` (${rules.freeze.reason})` : ""}; an operator can force one with a reason`,
    };
  }
  if (change.remedy !== undefined) return undefined;
  const applied = recent.filter(
    (c) =>
      c.resourceId.toLowerCase() === change.resourceId.toLowerCase() &&
      (c.status === "succeeded" || c.status === "started" || c.status === "failed") &&
      c.startedAt !== null &&
      !c.dryRun,
  );
  const last = applied
    .map((c) => Date.parse(c.finishedAt ?? c.startedAt ?? c.createdAt))
    .sort((a, b) => b - a)[0];
  const cooldownMs = rules.cooldownMinutes * 60_000;
  if (last !== undefined && now.getTime() - last < cooldownMs) {
    const left = Math.ceil((cooldownMs - (now.getTime() - last)) / 60_000);
    return {
      rule: "cooldown",
      detail: `the resource changed ${Math.floor((now.getTime() - last) / 60_000)} min ago; the cooldown is ${rules.cooldownMinutes} min (${left} min left)`,
    };
  }
  const hourAgo = now.getTime() - 3_600_000;
  const lastHour = applied.filter((c) => Date.parse(c.startedAt ?? c.createdAt) >= hourAgo).length;
  if (lastHour >= rules.maxChangesPerHour) {
    return {
      rule: "rate-limit",
      detail: `${lastHour} changes of the resource in the last hour; at most ${rules.maxChangesPerHour} are allowed`,
    };
  }
  return undefined;
}

import type { NormalizedAlert } from "../alerts/model.ts";
import { parseResourceId } from "../azure-ids.ts";
import type { OpsPolicy } from "../config/policy.ts";
import { knownName } from "../names.ts";

export interface Route {
  environment: string | null;
  recipients: string[];
  escalationPolicy: string | null;
}

/** The environment whose subscription and resource group hold the alert's first target, if any. */
export function environmentOf(policy: OpsPolicy, targets: readonly string[]): string | null {
  for (const target of targets) {
    let parsed;
    try {
      parsed = parseResourceId(target);
    } catch {
      continue;
    }
    for (const [name, env] of Object.entries(policy.environments)) {
      if (
        env.subscriptionId.toLowerCase() === parsed.subscriptionId.toLowerCase() &&
        env.resourceGroup.toLowerCase() === parsed.resourceGroup.toLowerCase()
      ) {
        return name;
      }
    }
  }
  return null;
}

/**
 * Who hears of an alert: the recipients of the guide's alert rule with the same name; otherwise the
 * environment's; otherwise the policy's default recipients. A rule may name an escalation policy.
 */
export function routeAlert(policy: OpsPolicy, alert: Pick<NormalizedAlert, "rule" | "targets">): Route {
  const environment = environmentOf(policy, alert.targets);
  const rule = policy.alertRules.find((r) => r.name.toLowerCase() === alert.rule.toLowerCase());
  const envRecipients = environment ? knownName(policy.environments, environment)?.recipients : undefined;
  return {
    environment,
    recipients: rule?.action.recipients ?? envRecipients ?? policy.incidents.defaultRecipients,
    escalationPolicy: rule?.escalationPolicy ?? policy.incidents.defaultEscalationPolicy ?? null,
  };
}

/** Alerts group by rule and target resource, like a pager's dedup key. */
export function dedupKeyOf(alert: Pick<NormalizedAlert, "rule" | "targets">): string {
  const target = alert.targets[0]?.toLowerCase().replace(/\/+$/, "") ?? "no-target";
  return `${alert.rule.toLowerCase()}|${target}`;
}

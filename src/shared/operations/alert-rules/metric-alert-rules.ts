import { resourceTypeOf } from "../../azure-metrics.ts";
import { type AlertRulePolicy, type OpsPolicy, alertRuleTarget } from "../../config/policy.ts";

/** A Microsoft.Insights/metricAlerts resource as Resource Manager takes it (2018-03-01). */
export interface MetricAlertRule {
  type: "Microsoft.Insights/metricAlerts";
  name: string;
  location: "global";
  properties: {
    description: string;
    severity: number;
    enabled: true;
    scopes: string[];
    evaluationFrequency: string;
    windowSize: string;
    criteria: {
      "odata.type": "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria";
      allOf: {
        criterionType: "StaticThresholdCriterion";
        name: string;
        metricName: string;
        metricNamespace: string;
        operator: AlertRulePolicy["operator"];
        threshold: number;
        timeAggregation: AlertRulePolicy["aggregation"];
      }[];
    };
    autoMitigate: true;
    actions: never[];
  };
}

/**
 * The Azure Monitor metric alert rules the policy's alertRules stand for: one per rule with a metric
 * and a target. Action groups are wired by the infrastructure (they point at the app's webhook), so
 * the rule carries none of its own here. Rules without a metric route alerts made elsewhere.
 */
export function metricAlertRules(policy: OpsPolicy): MetricAlertRule[] {
  return policy.alertRules.flatMap((rule): MetricAlertRule[] => {
    const target = alertRuleTarget(policy.environments, rule);
    if (!target || rule.metric === undefined || rule.threshold === undefined || rule.window === undefined)
      return [];
    return [
      {
        type: "Microsoft.Insights/metricAlerts",
        name: rule.name,
        location: "global",
        properties: {
          description: `${rule.metric} ${rule.operator} ${rule.threshold} over ${rule.window} (ops policy rule ${rule.name})`,
          severity: rule.severity,
          enabled: true,
          scopes: [target],
          evaluationFrequency: evaluationFrequency(rule.window),
          windowSize: rule.window,
          criteria: {
            "odata.type": "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
            allOf: [
              {
                criterionType: "StaticThresholdCriterion",
                name: `${rule.metric}-${rule.operator}`,
                metricName: rule.metric,
                metricNamespace: resourceTypeOf(target) ?? "",
                operator: rule.operator,
                threshold: rule.threshold,
                timeAggregation: rule.aggregation,
              },
            ],
          },
          autoMitigate: true,
          actions: [],
        },
      },
    ];
  });
}

/** Azure Monitor requires the evaluation frequency to be at most the window; one minute suits short windows. */
function evaluationFrequency(window: string): string {
  return /^PT([1-4])M$/.test(window) ? window : window === "PT5M" ? "PT1M" : "PT5M";
}

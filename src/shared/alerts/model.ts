/**
 * One internal alert, whatever Azure Monitor payload it came from (common alert schema for every
 * monitoring service, or the older non-common schemas).
 */
export const alertSeverities = ["Sev0", "Sev1", "Sev2", "Sev3", "Sev4"] as const;
export type AlertSeverity = (typeof alertSeverities)[number];

export type AlertCondition = "fired" | "resolved";

export interface AlertValue {
  /** Metric name, log query column, or a label such as "Budget" for non-metric signals. */
  name: string;
  /** The observed value; numbers stay numbers, anything else is kept as text. */
  value: number | string | null;
  threshold: number | string | null;
  /** e.g. "GreaterThan", as Azure says it. */
  operator: string | null;
  /** e.g. "Average", "Total". */
  aggregation: string | null;
}

export interface NormalizedAlert {
  /** Which payload shape it came in: "common", "AzureMonitorMetricAlert", "classic-metric", "log-analytics", "app-insights-log", "activity-log", "budget", "smart-detector", ... */
  schema: string;
  /** The common schema's monitoringService ("Platform", "Log Alerts V2", "Activity Log - Administrative", "ServiceHealth", "Resource Health", "Smart Detector", "Budget", "Prometheus", ...), or the legacy equivalent. */
  monitoringService: string;
  /**
   * The alert instance's id: the common schema's essentials.alertId, or, for shapes without one, a
   * stable hash of the fields that identify the instance (rule, targets, fired time).
   */
  alertId: string;
  /** Rule name; budget payloads with a null rule get the budget name. Never empty. */
  rule: string;
  /** Rule resource id when the payload has one. */
  ruleId: string | null;
  /** Null when the payload carries none (budgets); routing then uses a default. */
  severity: AlertSeverity | null;
  condition: AlertCondition;
  /** Target resource ids as Azure sent them (may be empty, e.g. budgets, service health). */
  targets: string[];
  /** "Metric", "Log", "Activity Log", ... */
  signalType: string | null;
  description: string | null;
  /** ISO 8601 UTC. US-format and zone-less times in payloads are normalised. */
  firedAt: string | null;
  resolvedAt: string | null;
  values: AlertValue[];
  /** Link back to Azure (portal link or the alert's id URL). Always https or null. */
  link: string | null;
  /** Azure's test actions and synthetic payloads say so; still processed, flagged in notifications. */
  isTest: boolean;
}

export type NormalizeResult =
  | { kind: "alert"; alert: NormalizedAlert }
  /** Valid JSON that is no known alert shape: kept and reported, never dropped. */
  | { kind: "unrecognized"; reason: string; fingerprint: string };

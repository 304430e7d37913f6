import { randomBytes } from "node:crypto";
import type { OpsPolicy } from "../../config/policy.ts";
import type { Incident, IncidentEvent } from "../../incidents/model.ts";
import type { Logger } from "../../log.ts";
import type { Ports } from "../../ports/catalogue.ts";
import type { Clock } from "../../ports/clock.ts";
import type { MaintenanceWindowStore } from "../../ports/maintenance-windows.ts";

/** The ports of the incident pipeline; `alertIntake` records webhook deliveries, a batch per moment. */
export type IncidentPorts = Pick<
  Ports,
  "incidents" | "alerts" | "outbox" | "diagnostics" | "queue" | "alertIntake" | "email"
>;

export interface IncidentDeps extends IncidentPorts {
  policy: OpsPolicy;
  clock: Clock;
  logger: Logger;
  /** Public base URL of the app, for links in emails; null when unknown. */
  apiBaseUrl: string | null;
  /** Maintenance windows opened at run time; alert processing is handed it. */
  maintenance?: MaintenanceWindowStore;
}

/** Who did something: an operator's name from their token, or "alert"/"escalation"/"system". */
export type Actor = string;

export const AUTO_RESOLVED = "auto: all alerts resolved";

export function newIncidentId(now: Date): string {
  return `INC-${now.toISOString().slice(0, 10).replace(/-/g, "")}-${randomBytes(4).toString("hex")}`;
}

export function stepOrder(step: { level: number; round: number }): number {
  return step.round * 1000 + step.level;
}

export function event(at: Date, type: string, by: string, detail: string): IncidentEvent {
  return { at: at.toISOString(), type, by, detail };
}

export function isSite(id: string | undefined): boolean {
  return id !== undefined && /\/providers\/microsoft\.web\/sites\/[^/]+$/i.test(id);
}

type IncidentOpening = Pick<
  Incident,
  | "id"
  | "dedupKey"
  | "source"
  | "title"
  | "description"
  | "environment"
  | "rule"
  | "target"
  | "priority"
  | "openedAt"
  | "openedBy"
  | "recipients"
> &
  Partial<Incident>;

/** A new open incident: what every opening has in common, and what this one says of itself. */
export function incidentRecord(opening: IncidentOpening): Incident {
  return {
    status: "open",
    suppressedBy: null,
    acknowledgedAt: null,
    acknowledgedBy: null,
    resolvedAt: null,
    resolvedBy: null,
    alertCount: 0,
    activeAlerts: [],
    appliedAlertKeys: [],
    lastAlertAt: null,
    link: null,
    values: [],
    isTest: false,
    escalationPolicy: null,
    escalation: null,
    diagnostics: { status: "not-applicable", blob: null, error: null },
    ...opening,
  };
}

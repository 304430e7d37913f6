import type { ComponentKind, Threshold } from "../../config/policy.ts";
import type { Trigger } from "../../procedures/declaration.ts";
import type { Status } from "../../procedures/status.ts";

export interface SignalResult {
  /** Stable signal name, e.g. "responseTime". */
  name: string;
  label: string;
  status: Status;
  /** null when there was no value to judge. */
  value: number | null;
  unit: string;
  threshold: Threshold | null;
  reason: string;
}

export interface ComponentResult {
  name: string;
  kind: ComponentKind;
  resourceId: string;
  status: Status;
  signals: SignalResult[];
}

export interface HealthReport {
  runId: string;
  environment: string;
  trigger: Trigger | "bench";
  startedAt: string;
  finishedAt: string;
  windowMinutes: number;
  status: Status;
  components: ComponentResult[];
  /** Whether the recipients were told (only when the run is not ok). */
  notification: { sent: boolean; recipients: string[]; error?: string } | null;
}

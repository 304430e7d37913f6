import type { CallOptions } from "./call-options.ts";

export const queueNames = {
  alerts: "phoenix-alerts",
  escalations: "phoenix-escalations",
  notifications: "phoenix-notifications",
  diagnostics: "phoenix-diagnostics",
  scaling: "phoenix-scaling",
  scaleBack: "phoenix-scaleback",
  maintenance: "phoenix-maintenance",
  swaps: "phoenix-swaps",
  rollbacks: "phoenix-rollbacks",
} as const;
export type QueueName = (typeof queueNames)[keyof typeof queueNames];

/** Deferred work: queue messages, optionally invisible for a while (escalation steps, retries). */
export interface WorkQueue {
  send(queue: QueueName, message: object, options?: CallOptions & { delayInSeconds?: number }): Promise<void>;
}

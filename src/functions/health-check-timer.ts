import { type InvocationContext, type Timer, app } from "@azure/functions";
import { randomUUID } from "node:crypto";
import { getServices } from "../shared/composition-root.ts";
import { describeError } from "../shared/errors.ts";
import { runScheduledHealthChecks } from "../shared/operations/scheduled-health-check.ts";

/**
 * Ticks hourly; the operation runs each environment's check once a day, at or after the policy's hour.
 * A late or repeated tick (several instances, restarts) therefore still gives exactly one run a day.
 */
export async function healthCheckTick(timer: Timer, context: InvocationContext): Promise<void> {
  const services = getServices();
  try {
    const outcome = await runScheduledHealthChecks(services.healthCheck, {
      owner: `${context.invocationId}-${randomUUID().slice(0, 8)}`,
    });
    context.log("scheduled health check tick", { isPastDue: timer.isPastDue, ...outcome });
  } catch (error) {
    context.error("scheduled health check failed", { error: describeError(error) });
    throw error;
  }
}

app.timer("health-check-daily", {
  schedule: "0 0 * * * *",
  runOnStartup: false,
  handler: healthCheckTick,
});

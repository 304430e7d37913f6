import { describeError } from "../errors.ts";
import { runHealthCheck, type HealthCheckDeps } from "./health-check.ts";

export interface ScheduledOutcome {
  ran: { environment: string; runId: string; status: string }[];
  skipped: { environment: string; reason: string }[];
  failed: { environment: string; error: string }[];
}

/**
 * The daily health check for every environment. Idempotent on (environment, UTC date): the first
 * caller to claim the day runs it; a failed run gives the claim back so the next tick retries.
 */
export async function runScheduledHealthChecks(
  deps: HealthCheckDeps,
  options: { owner: string },
): Promise<ScheduledOutcome> {
  const now = deps.clock.now();
  const day = now.toISOString().slice(0, 10);
  const outcome: ScheduledOutcome = { ran: [], skipped: [], failed: [] };
  if (now.getUTCHours() < deps.policy.healthCheck.hourUtc) {
    for (const environment of Object.keys(deps.policy.environments)) {
      outcome.skipped.push({ environment, reason: `before ${deps.policy.healthCheck.hourUtc}:00 UTC` });
    }
    return outcome;
  }
  for (const environment of Object.keys(deps.policy.environments)) {
    const claimed = await deps.store.claimScheduledRun("health-check", environment, day, options.owner);
    if (!claimed) {
      outcome.skipped.push({ environment, reason: `already run for ${day}` });
      continue;
    }
    try {
      const report = await runHealthCheck(deps, { environment, trigger: "timer" });
      outcome.ran.push({ environment, runId: report.runId, status: report.status });
    } catch (error) {
      await deps.store.releaseScheduledRun("health-check", environment, day, options.owner);
      outcome.failed.push({ environment, error: describeError(error) });
    }
  }
  if (outcome.failed.length > 0) {
    deps.logger.error("scheduled health check failed", { failed: outcome.failed });
  }
  return outcome;
}

import type { InvocationContext, Timer } from "@azure/functions";
import { randomUUID } from "node:crypto";
import { OpsError, describeError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { AnyProcedure } from "../procedures/declaration.ts";
import { inputSchemaOf, splitInput } from "../procedures/input-schema.ts";
import type { ProcedureRuntime } from "../procedures/runtime.ts";
import { issuesLine } from "../validation.ts";
import { invocationLogger } from "./invocation.ts";
import { runContextFor } from "./run-context.ts";

export interface TickOutcome {
  ran: { scope: string; status?: string }[];
  skipped: { scope: string; reason: string }[];
  failed: { scope: string; error: string }[];
}

/**
 * A timer procedure's tick. Every scope is tried; then, if any failed, the invocation fails, so a
 * failing scheduled run shows as a failed invocation.
 */
export function timerHandler(
  procedure: AnyProcedure,
  runtime: () => ProcedureRuntime,
): (timer: Timer, context: InvocationContext) => Promise<void> {
  if (!procedure.timer) throw new Error(`${procedure.name} has no timer binding`);
  return async (timer, context) => {
    const logger = invocationLogger(context);
    const outcome = await runScheduledTick(procedure, runtime(), logger, context.invocationId);
    const facts = { procedure: procedure.name, isPastDue: timer.isPastDue, ...outcome };
    if (outcome.failed.length > 0) {
      logger.error("scheduled run failed", facts);
      throw new OpsError(
        "Internal",
        `${procedure.name} failed for ${outcome.failed.map((f) => `${f.scope} (${f.error})`).join(", ")}`,
      );
    }
    logger.info("scheduled run tick", facts);
  };
}

/**
 * One tick: for each scope (e.g. environment) the period (day, month) is claimed in Table storage
 * first, so late, repeated or concurrent ticks still run it once per period; a failed run gives the
 * claim back for the next tick. Side effects are keyed by the claim (`context.scheduled.key`).
 */
export async function runScheduledTick(
  procedure: AnyProcedure,
  services: ProcedureRuntime,
  logger: Logger,
  invocationId: string,
): Promise<TickOutcome> {
  const binding = procedure.timer;
  if (!binding) throw new Error(`${procedure.name} has no timer binding`);
  const { runClaims } = services.portsFor(["runClaims"]);
  const ports = services.portsFor(procedure.ports);
  const now = services.clock.now();
  const period = binding.period === "day" ? now.toISOString().slice(0, 10) : now.toISOString().slice(0, 7);
  const outcome: TickOutcome = { ran: [], skipped: [], failed: [] };
  const due = binding.due ? binding.due(services.policy, now) : true;
  const owner = `${invocationId}-${randomUUID().slice(0, 8)}`;
  for (const { scope, input } of binding.scopes(services.policy)) {
    if (due !== true) {
      outcome.skipped.push({ scope, reason: typeof due === "string" ? due : "not due" });
      continue;
    }
    const run = { procedure: procedure.name, scope, period };
    try {
      if (!(await runClaims.claimRun(run, owner))) {
        outcome.skipped.push({ scope, reason: `already run for ${period}` });
        continue;
      }
    } catch (error) {
      outcome.failed.push({ scope, error: describeError(error) });
      continue;
    }
    try {
      const parsed = inputSchemaOf(procedure).safeParse(input);
      if (!parsed.success) {
        throw new OpsError("ConfigInvalid", `scheduled input is invalid: ${issuesLine(parsed.error.issues)}`);
      }
      const split = splitInput(procedure, parsed.data);
      const result: unknown = await procedure.run(
        ports,
        split.input,
        runContextFor(
          procedure,
          services,
          {
            logger,
            trigger: "timer",
            actor: "timer",
            invocationId,
            scheduled: { period, key: `${procedure.name}|${scope}|${period}` },
          },
          split.change,
        ),
      );
      outcome.ran.push({ scope, ...(procedure.status ? { status: procedure.status(result) } : {}) });
    } catch (error) {
      outcome.failed.push({ scope, error: describeError(error) });
      await runClaims.releaseRun(run, owner).catch((releaseError: unknown) => {
        logger.warn("scheduled run claim not released", { scope, error: describeError(releaseError) });
      });
    }
  }
  return outcome;
}

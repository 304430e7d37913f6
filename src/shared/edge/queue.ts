import type { InvocationContext } from "@azure/functions";
import { OpsError, describeError } from "../errors.ts";
import type { AnyProcedure } from "../procedures/declaration.ts";
import { inputSchemaOf, splitInput } from "../procedures/input-schema.ts";
import type { ProcedureRuntime } from "../procedures/runtime.ts";
import { issuesLine } from "../validation.ts";
import { invocationLogger } from "./invocation.ts";
import { runContextFor } from "./run-context.ts";

/**
 * A queue step. Messages are the app's own, but are parsed all the same. Whatever fails, a malformed
 * message included, is rethrown: the host retries it and, after maxDequeueCount, keeps it in the
 * poison queue, where an operator (or a newer version that reads it) can replay it. Nothing is dropped.
 */
export function queueHandler(
  procedure: AnyProcedure,
  runtime: () => ProcedureRuntime,
): (message: unknown, context: InvocationContext) => Promise<void> {
  return async (message, context) => {
    const logger = invocationLogger(context);
    const dequeueCount = context.triggerMetadata?.dequeueCount;
    const parsed = inputSchemaOf(procedure).safeParse(message);
    if (!parsed.success) {
      const issues = issuesLine(parsed.error.issues, "(message)");
      logger.error("malformed message kept for the poison queue", { issues, dequeueCount });
      throw new OpsError("BadRequest", `${procedure.name}: malformed message (${issues})`);
    }
    try {
      const services = runtime();
      const { input, change } = splitInput(procedure, parsed.data);
      const outcome: unknown = await procedure.run(
        services.portsFor(procedure.ports),
        input,
        runContextFor(
          procedure,
          services,
          { logger, trigger: "queue", actor: "system", invocationId: context.invocationId },
          change,
        ),
      );
      // A step's outcome in words; a batch's per-delivery outcomes stay out of the log (a storm writes many).
      logger.info("queue step done", { outcome: summary(outcome), dequeueCount });
    } catch (error) {
      logger.error("queue step failed", { error: describeError(error), dequeueCount });
      throw error;
    }
  };
}

function summary(outcome: unknown): unknown {
  if (outcome !== null && typeof outcome === "object" && "processed" in outcome) {
    return { processed: outcome.processed };
  }
  return outcome;
}

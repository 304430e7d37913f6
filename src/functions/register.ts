import type { AnyProcedure } from "../shared/procedures/declaration.ts";
import { functionName } from "../shared/procedures/registry.ts";
import type { ProcedureRuntime } from "../shared/procedures/runtime.ts";
import { edgeHandlers } from "./edge-handlers.ts";
import { type TriggerSpec, registerTriggers } from "./triggers.ts";

/**
 * The registration layer: every binding of every declared procedure becomes a Functions trigger, each
 * through the one edge pipeline of its kind. Nothing here knows a procedure by name.
 */
export function registerProcedures(
  procedures: readonly AnyProcedure[],
  runtime: () => ProcedureRuntime,
): void {
  const handlers = edgeHandlers(procedures, runtime);
  registerTriggers(triggerSpecs(procedures), (spec) => handlers(spec));
}

/** The triggers of a list of procedures (see TriggerSpec). */
export function triggerSpecs(procedures: readonly AnyProcedure[]): TriggerSpec[] {
  const specs: TriggerSpec[] = [];
  for (const procedure of procedures) {
    const name = functionName(procedure);
    if (procedure.http) {
      specs.push({
        kind: "http",
        name,
        procedure: name,
        options: {
          methods: [procedure.http.method],
          route: procedure.http.route,
          // Operator endpoints check Entra ID tokens themselves; a webhook's proof is the function key.
          authLevel: procedure.http.auth === "webhook" ? "function" : "anonymous",
        },
      });
    }
    if (procedure.timer) {
      specs.push({
        kind: "timer",
        name: procedure.timer.name,
        procedure: name,
        options: { schedule: procedure.timer.schedule, runOnStartup: false },
      });
    }
    if (procedure.queue) {
      specs.push({
        kind: "storageQueue",
        name: procedure.queue.name,
        procedure: name,
        options: { queueName: procedure.queue.queue, connection: "AzureWebJobsStorage" },
      });
    }
  }
  return specs;
}

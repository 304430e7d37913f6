import { app } from "@azure/functions";
import { httpHandler } from "../shared/edge/http.ts";
import { queueHandler } from "../shared/edge/queue.ts";
import { timerHandler } from "../shared/edge/timer.ts";
import type { AnyProcedure } from "../shared/procedures/declaration.ts";
import { functionName } from "../shared/procedures/registry.ts";
import type { ProcedureRuntime } from "../shared/procedures/runtime.ts";

/**
 * The registration layer: every binding of every declared procedure becomes a Functions trigger, each
 * through the one edge pipeline of its kind. Nothing here knows a procedure by name.
 */
export function registerProcedures(
  procedures: readonly AnyProcedure[],
  runtime: () => ProcedureRuntime,
): void {
  for (const procedure of procedures) {
    const name = functionName(procedure);
    if (procedure.http) {
      app.http(name, {
        methods: [procedure.http.method],
        route: procedure.http.route,
        // Operator endpoints check Entra ID tokens themselves; a webhook's proof is the function key.
        authLevel: procedure.http.auth === "webhook" ? "function" : "anonymous",
        handler: httpHandler(procedure, runtime),
      });
    }
    if (procedure.timer) {
      app.timer(procedure.timer.name, {
        schedule: procedure.timer.schedule,
        runOnStartup: false,
        handler: timerHandler(procedure, runtime),
      });
    }
    if (procedure.queue) {
      app.storageQueue(procedure.queue.name, {
        queueName: procedure.queue.queue,
        connection: "AzureWebJobsStorage",
        handler: queueHandler(procedure, runtime),
      });
    }
  }
}

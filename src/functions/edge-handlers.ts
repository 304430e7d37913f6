import { httpHandler } from "../shared/edge/http.ts";
import { queueHandler } from "../shared/edge/queue.ts";
import { timerHandler } from "../shared/edge/timer.ts";
import type { AnyProcedure } from "../shared/procedures/declaration.ts";
import { functionName } from "../shared/procedures/registry.ts";
import type { ProcedureRuntime } from "../shared/procedures/runtime.ts";
import type { AnyHandler, TriggerSpec } from "./triggers.ts";

/** Each trigger's edge handler, by trigger. */
export function edgeHandlers(
  procedures: readonly AnyProcedure[],
  runtime: () => ProcedureRuntime,
): (spec: TriggerSpec) => AnyHandler {
  const byName = new Map(procedures.map((p) => [functionName(p), p]));
  return (spec) => {
    const procedure = byName.get(spec.procedure);
    if (!procedure) throw new Error(`no procedure ${spec.procedure} for trigger ${spec.name}`);
    if (spec.kind === "http") return httpHandler(procedure, runtime);
    if (spec.kind === "timer") return timerHandler(procedure, runtime);
    return queueHandler(procedure, runtime);
  };
}

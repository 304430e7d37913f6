import { createChangeControl } from "../change-control/control.ts";
import type { ChangeRequester } from "../change-control/model.ts";
import type { ChangeOptions } from "../change-control/options.ts";
import type { AnyProcedure, RunContext } from "../procedures/declaration.ts";
import type { ProcedureRuntime } from "../procedures/runtime.ts";

export type EdgeContext = Pick<
  RunContext,
  "logger" | "trigger" | "actor" | "invocationId" | "abortSignal" | "scheduled"
>;

/**
 * The context a procedure's run is given, the same from every edge. An estate-changing procedure gets
 * change control bound to the caller's options and identity; no other procedure does.
 */
export function runContextFor(
  procedure: AnyProcedure,
  services: ProcedureRuntime,
  edge: EdgeContext,
  change: ChangeOptions | undefined,
): RunContext {
  const context: RunContext = {
    ...edge,
    policy: services.policy,
    clock: services.clock,
    apiBaseUrl: services.apiBaseUrl,
  };
  if (procedure.changesEstate && change) {
    context.change = createChangeControl(
      services.portsFor(["changes", "leases", "outbox", "queue"]),
      change,
      {
        policy: services.policy,
        clock: services.clock,
        logger: edge.logger,
        procedure: procedure.name,
        requestedBy: requesterOf(edge),
        apiBaseUrl: services.apiBaseUrl,
        abortSignal: edge.abortSignal,
      },
    );
  }
  return context;
}

function requesterOf(edge: EdgeContext): ChangeRequester {
  switch (edge.trigger) {
    case "http":
    case "cli":
    case "direct":
    case "local":
      return { kind: "operator", name: edge.actor };
    case "timer":
      return { kind: "timer", name: edge.actor };
    case "queue":
      return { kind: "system", name: edge.actor };
  }
}

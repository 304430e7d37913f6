import { randomUUID } from "node:crypto";
import type { OpsPolicy } from "../../src/shared/config/policy.ts";
import { settingsSchema } from "../../src/shared/config/settings.ts";
import { type Logger, silentLogger } from "../../src/shared/log.ts";
import type { PortName, Ports } from "../../src/shared/ports/catalogue.ts";
import type { Clock } from "../../src/shared/ports/clock.ts";
import type { AnyProcedure, RunContext, Trigger } from "../../src/shared/procedures/declaration.ts";
import { inputSchemaOf, splitInput } from "../../src/shared/procedures/input-schema.ts";
import { runContextFor } from "../../src/shared/edge/run-context.ts";
import type { ProcedureRuntime } from "../../src/shared/procedures/runtime.ts";

/** A runtime over in-memory fakes, as the edges see the composition folder's. */
export function fakeRuntime(options: {
  policy: OpsPolicy;
  clock: Clock;
  ports: Partial<Ports>;
  settings?: Record<string, string>;
}): ProcedureRuntime {
  return {
    settings: settingsSchema.parse({
      AzureWebJobsStorage: "UseDevelopmentStorage=true",
      ...options.settings,
    }),
    policy: options.policy,
    clock: options.clock,
    apiBaseUrl: "https://phoenix-ops.example.net",
    tokenValidator: null,
    portsFor<P extends PortName>(names: readonly P[]): Pick<Ports, P> {
      const picked = {} as Pick<Ports, P>;
      for (const name of names) {
        const port = options.ports[name];
        if (!port) throw new Error(`the test gave no ${name} port`);
        picked[name] = port;
      }
      return picked;
    },
  };
}

/** The context an edge hands a procedure's run. */
export function runContext(
  policy: OpsPolicy,
  clock: Clock,
  trigger: Trigger = "cli",
  extra: Partial<RunContext> & { logger?: Logger } = {},
): RunContext {
  return {
    policy,
    clock,
    logger: silentLogger,
    trigger,
    actor: "tester",
    invocationId: randomUUID(),
    apiBaseUrl: "https://phoenix-ops.example.net",
    ...extra,
  };
}

/**
 * Runs a procedure as an edge does: the registry's schema (change options included) parses the fields,
 * and the run gets the edge's context, change control bound to the caller when it changes the estate.
 */
export async function runAsEdge(
  procedure: AnyProcedure,
  runtime: ProcedureRuntime,
  fields: Record<string, unknown>,
  trigger: Trigger = "http",
  actor = "alice@phoenixvc.tech",
): Promise<unknown> {
  const { input, change } = splitInput(procedure, inputSchemaOf(procedure).parse(fields));
  return (await procedure.run(
    runtime.portsFor(procedure.ports),
    input,
    runContextFor(
      procedure,
      runtime,
      { logger: silentLogger, trigger, actor, invocationId: randomUUID() },
      change,
    ),
  )) as unknown;
}

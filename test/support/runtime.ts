import { randomUUID } from "node:crypto";
import type { OpsPolicy } from "../../src/shared/config/policy.ts";
import { settingsSchema } from "../../src/shared/config/settings.ts";
import { type Logger, silentLogger } from "../../src/shared/log.ts";
import type { PortName, Ports } from "../../src/shared/ports/catalogue.ts";
import type { Clock } from "../../src/shared/ports/clock.ts";
import type { RunContext, Trigger } from "../../src/shared/procedures/declaration.ts";
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

import { randomUUID } from "node:crypto";
import { createRuntime } from "../shared/composition/runtime.ts";
import { createLogger, stderrSink } from "../shared/log.ts";
import type { AnyProcedure, Trigger } from "../shared/procedures/declaration.ts";
import { splitInput } from "../shared/procedures/input-schema.ts";
import { runContextFor } from "../shared/edge/run-context.ts";

/**
 * Runs a procedure in the CLI's own process: `--direct` (break-glass, with the app's settings and the
 * operator's credential) and procedures that need no app at all (they read local files only).
 */
export async function runDirect(
  procedure: AnyProcedure,
  input: Record<string, unknown>,
  options: { env: Record<string, string | undefined>; trigger: Trigger },
): Promise<unknown> {
  const runtime = options.trigger === "local" ? undefined : createRuntime({ env: options.env });
  const invocationId = randomUUID();
  // A person reads stderr: warnings and errors only, unless PHOENIX_LOG_LEVEL=info asks for more.
  const verbose = options.env.PHOENIX_LOG_LEVEL === "info";
  const logger = createLogger(
    (level, message, meta) => {
      if (verbose || level === "warn" || level === "error") stderrSink(level, message, meta);
    },
    { invocationId, functionName: procedure.name },
  );
  if (!runtime) {
    // A local procedure reads its own files: it declares no ports and is given no policy or estate.
    return procedure.run({} as never, input, {
      policy: undefined as never,
      clock: { now: () => new Date() },
      logger,
      trigger: "local",
      actor: options.env.USER ?? "operator",
      invocationId,
      apiBaseUrl: null,
    });
  }
  const split = splitInput(procedure, input);
  return procedure.run(
    runtime.portsFor(procedure.ports),
    split.input,
    runContextFor(
      procedure,
      runtime,
      { logger, trigger: options.trigger, actor: `${options.env.USER ?? "operator"} (direct)`, invocationId },
      split.change,
    ),
  );
}

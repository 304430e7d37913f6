import type { InvocationContext } from "@azure/functions";
import { type LogLevel, type Logger, createLogger } from "../log.ts";

/**
 * The invocation's logger: every entry goes to the invocation's own log (so the host ties it to the
 * invocation) and carries the invocation id and function name. Triggers and operations write to it.
 */
export function invocationLogger(context: InvocationContext): Logger {
  const write: Record<LogLevel, (...args: unknown[]) => void> = {
    debug: (...a) => context.debug(...a),
    info: (...a) => context.info(...a),
    warn: (...a) => context.warn(...a),
    error: (...a) => context.error(...a),
  };
  return createLogger((level, message, meta) => write[level](message, JSON.stringify(meta)), {
    invocationId: context.invocationId,
    functionName: context.functionName,
  });
}

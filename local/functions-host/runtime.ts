/** The running host as its HTTP surfaces see it (admin API, Event Grid webhook, HTTP triggers). */
import type { IndexedFunction } from "./function-index.ts";
import type { InvocationInput, InvocationResult } from "./invoke.ts";
import type { HostLogger } from "./logger.ts";

/**
 * Keys for the HTTP surfaces. `func start` does not check keys, and neither does this host unless
 * keys are given: then `authLevel: "function"` needs one of `functionKeys` (or the master key) and
 * `authLevel: "admin"` and the admin API need the master key, sent as the `code` query parameter or
 * the `x-functions-key` header; anything else is 401.
 */
export interface FunctionsHostKeys {
  functionKeys: string[];
  masterKey?: string;
}

export interface HostRuntime {
  readonly baseUrl: string;
  readonly routePrefix: string;
  readonly logger: HostLogger;
  readonly keys: FunctionsHostKeys | undefined;
  /** Set when the app enabled HTTP streaming: where `@azure/functions` listens for proxied requests. */
  readonly httpStreamUri: string | undefined;
  readonly startedAt: Date;
  /** False until the app is loaded and indexed, and again once the host is closing. */
  readonly running: boolean;
  readonly functions: readonly IndexedFunction[];
  find(name: string): IndexedFunction | undefined;
  /** Runs one invocation and carries out its output bindings. */
  execute(fn: IndexedFunction, input: InvocationInput): Promise<InvocationResult>;
  /** A run the trigger did not start (admin API): `input` is the message / event text; timers ignore it. */
  invokeManually(fn: IndexedFunction, input: string | undefined): Promise<InvocationResult>;
}

/**
 * One invocation, run the way the worker's InvocationHandler runs it: the programming model builds
 * the arguments from an RPC InvocationRequest, preInvocation hooks may change inputs and callback,
 * the callback runs, postInvocation hooks may change result and error, and the model turns the
 * result into an RPC InvocationResponse. Around it, the host's own part: the Executing/Executed
 * lines and the function timeout.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import type { InvocationLogScope, RegisteredFunction, WorkerApp } from "./core-module.ts";
import type {
  CoreInvocationContext,
  HookCallback,
  HookContext,
  HookData,
  InvocationState,
  PostInvocationContext,
  PreInvocationContext,
  RpcInvocationRequest,
  RpcInvocationResponse,
  RpcParameterBinding,
  RpcRetryContext,
  RpcTypedData,
} from "./core-types.ts";
import type { HostLogger } from "./logger.ts";

export interface InvocationInput {
  inputData: RpcParameterBinding[];
  triggerMetadata?: Record<string, RpcTypedData>;
  retryContext?: RpcRetryContext;
  /** W3C traceparent of the caller, if it sent one. */
  traceParent?: string;
  /** Shown in the "Executing" line, as the host does. */
  reason: string;
  /** Chosen by the caller when it must know the id before the invocation starts (HTTP streaming). */
  invocationId?: string;
}

export interface InvocationResult {
  invocationId: string;
  response: RpcInvocationResponse;
  /** What the function returned, after postInvocation hooks. */
  result: unknown;
}

/** A failed invocation; `cause` is what the function (or a hook, or the timeout) threw. */
export class InvocationFailedError extends Error {
  readonly invocationId: string;
  readonly functionName: string;

  constructor(functionName: string, invocationId: string, cause: unknown) {
    super(`Function '${functionName}' failed (invocation ${invocationId}): ${errorMessage(cause)}`, {
      cause,
    });
    this.name = "InvocationFailedError";
    this.functionName = functionName;
    this.invocationId = invocationId;
  }
}

export class FunctionTimeoutError extends Error {
  constructor(functionName: string, timeoutText: string) {
    super(`Timeout value of ${timeoutText} was exceeded by function: Functions.${functionName}`);
    this.name = "FunctionTimeoutError";
  }
}

export interface InvokerOptions {
  app: WorkerApp;
  logger: HostLogger;
  timeoutMs: number | undefined;
  timeoutText: string;
  /** Carries out output bindings; a failure here fails the invocation, as in the host. */
  applyOutputs?: (fn: RegisteredFunction, response: RpcInvocationResponse) => Promise<void>;
}

export class FunctionInvoker {
  readonly #options: InvokerOptions;
  readonly #running = new Set<Promise<unknown>>();

  constructor(options: InvokerOptions) {
    this.#options = options;
  }

  /** Invocations still running, so that shutdown can wait for them as the host drains. */
  get running(): readonly Promise<unknown>[] {
    return [...this.#running];
  }

  /** Runs one invocation; rejects with InvocationFailedError when it fails or times out. */
  async invoke(fn: RegisteredFunction, input: InvocationInput): Promise<InvocationResult> {
    const { logger, timeoutMs, timeoutText } = this.#options;
    const name = fn.metadata.name;
    const invocationId = input.invocationId ?? randomUUID();
    const started = performance.now();
    logger.invocation(
      "information",
      name,
      invocationId,
      `Executing 'Functions.${name}' (Reason='${input.reason}', Id=${invocationId})`,
    );

    const run = this.#run(fn, input, invocationId);
    this.#running.add(run);
    const timeout = new AbortController();
    try {
      const outcome = await (timeoutMs === undefined
        ? run
        : Promise.race([
            run,
            delay(timeoutMs, undefined, { signal: timeout.signal }).then(() => {
              throw new FunctionTimeoutError(name, timeoutText);
            }),
          ]));
      logger.invocation(
        "information",
        name,
        invocationId,
        `Executed 'Functions.${name}' (Succeeded, Id=${invocationId}, Duration=${elapsed(started)}ms)`,
      );
      return { invocationId, ...outcome };
    } catch (error) {
      logger.invocation("error", name, invocationId, `Exception: ${errorDetail(error)}`);
      logger.invocation(
        "error",
        name,
        invocationId,
        `Executed 'Functions.${name}' (Failed, Id=${invocationId}, Duration=${elapsed(started)}ms)`,
      );
      throw new InvocationFailedError(name, invocationId, error);
    } finally {
      timeout.abort();
      // A timed-out invocation keeps running in JavaScript; it stays tracked until it settles.
      void run.then(
        () => this.#running.delete(run),
        () => this.#running.delete(run),
      );
    }
  }

  async #run(
    fn: RegisteredFunction,
    input: InvocationInput,
    invocationId: string,
  ): Promise<{ response: RpcInvocationResponse; result: unknown }> {
    const { app } = this.#options;
    const model = app.programmingModel;
    if (!model) throw new Error("The app registered no programming model (it never loaded @azure/functions)");

    const request: RpcInvocationRequest = {
      invocationId,
      functionId: fn.metadata.functionId,
      inputData: input.inputData,
      triggerMetadata: input.triggerMetadata ?? {},
      traceContext: {
        traceParent: input.traceParent ?? newTraceParent(),
        traceState: "",
        attributes: { OperationName: fn.metadata.name },
      },
      ...(input.retryContext ? { retryContext: input.retryContext } : {}),
    };
    const hookData: HookData = {};
    const scope: InvocationLogScope = {
      functionName: fn.metadata.name,
      invocationId,
      hookData,
      invocationContext: undefined,
    };
    let state: InvocationState | undefined;
    const coreContext: CoreInvocationContext = {
      invocationId,
      request,
      metadata: fn.metadata,
      get state() {
        return state;
      },
      set state(value) {
        state = value;
      },
      log: (level, category, message) => app.log({ level, category, message, invocation: scope }),
    };

    const invocationModel = await model.getInvocationModel(coreContext);
    const { context, inputs } = await invocationModel.getArguments();
    scope.invocationContext = context;

    const preContext = withHookData(hookData, app.appHookData, context, {
      inputs,
      functionCallback: fn.callback,
    }) satisfies PreInvocationContext;
    state = "preInvocationHooks";
    try {
      await this.#executeHooks(app.hooks.preInvocation, preContext, scope);
    } finally {
      state = undefined;
    }

    const postContext = withHookData(hookData, app.appHookData, context, {
      inputs: preContext.inputs,
      result: null as unknown,
      error: null as unknown,
    }) satisfies PostInvocationContext;
    state = "invocation";
    try {
      postContext.result = await invocationModel.invokeFunction(
        context,
        preContext.inputs,
        preContext.functionCallback,
      );
    } catch (error) {
      postContext.error = error;
    } finally {
      state = undefined;
    }

    state = "postInvocationHooks";
    try {
      await this.#executeHooks(app.hooks.postInvocation, postContext, scope);
    } finally {
      state = undefined;
    }

    if (postContext.error !== null && postContext.error !== undefined) throw toError(postContext.error);
    const response = await invocationModel.getResponse(context, postContext.result);
    await this.#options.applyOutputs?.(fn, response);
    return { response, result: postContext.result };
  }

  async #executeHooks(
    callbacks: HookCallback[],
    context: HookContext,
    scope: InvocationLogScope,
  ): Promise<void> {
    if (callbacks.length === 0) return;
    const { logger } = this.#options;
    logger.invocation("debug", scope.functionName, scope.invocationId, `Executing ${callbacks.length} hooks`);
    // Copied so that a hook that disposes itself does not skip the next one.
    for (const callback of [...callbacks]) await callback(context);
  }
}

/** Hook contexts whose shared objects can be changed but not replaced, as in the worker. */
function withHookData<T extends object>(
  hookData: HookData,
  appHookData: HookData,
  invocationContext: unknown,
  fields: T,
): T & HookContext & { readonly invocationContext: unknown } {
  const readOnly = (name: string) => ({
    enumerable: true,
    set() {
      throw new TypeError(`Cannot assign to read only property '${name}'`);
    },
  });
  return Object.defineProperties(fields, {
    hookData: { ...readOnly("hookData"), get: () => hookData },
    appHookData: { ...readOnly("appHookData"), get: () => appHookData },
    invocationContext: { ...readOnly("invocationContext"), get: () => invocationContext },
  }) as T & HookContext & { readonly invocationContext: unknown };
}

function newTraceParent(): string {
  return `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-00`;
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}

/** Functions may throw anything; a non-Error is wrapped so that callers always get an Error. */
function toError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(errorMessage(thrown), { cause: thrown });
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === "string" ? error : (JSON.stringify(error) ?? String(error));
}

function errorDetail(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return errorMessage(error);
}

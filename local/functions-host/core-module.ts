/**
 * The `@azure/functions-core` module: the API the Azure Functions Node.js worker builds into itself
 * and `@azure/functions` finds with `require("@azure/functions-core")`. This file restates the
 * worker's behaviour (setupCoreModule.ts, coreApi/registerFunction.ts, hooks/registerHook.ts,
 * WorkerContext.log) for an app loaded into this process.
 */
import Module from "node:module";
import { basename, dirname } from "node:path";
import type {
  FunctionCallback,
  FunctionMetadata,
  HookCallback,
  HookData,
  HookName,
  LogHookContext,
  ProgrammingModel,
  RpcFunctionMetadata,
  RpcLogCategory,
  RpcLogLevel,
} from "./core-types.ts";

export const CORE_MODULE_ID = "@azure/functions-core";

/** Reported as `version` / `hostVersion`; `@azure/functions` only checks that they exist. */
const WORKER_VERSION = "0.0.0-local";
const HOST_VERSION = "4.0.0-local";

export interface RegisteredFunction {
  metadata: RpcFunctionMetadata;
  callback: FunctionCallback;
}

/** The invocation a log line belongs to, for log hooks and for the line's prefix. */
export interface InvocationLogScope {
  functionName: string;
  invocationId: string;
  hookData: HookData;
  invocationContext: unknown;
}

export interface WorkerLogEntry {
  level: RpcLogLevel;
  category: RpcLogCategory;
  message: string;
  invocation?: InvocationLogScope;
}

export type WorkerLogSink = (entry: WorkerLogEntry) => void;

/** A system error from the worker; `@azure/functions` recognises it by this flag. */
export class WorkerSystemError extends Error {
  readonly isAzureFunctionsSystemError = true;
}

/** The worker throws a RangeError for an unknown hook name; `app.hook.log` relies on that. */
class WorkerRangeError extends RangeError {
  readonly isAzureFunctionsSystemError = true;
}

export class Disposable {
  static from(...likes: { dispose: () => unknown }[]): Disposable {
    return new Disposable(() => {
      for (const like of likes) like.dispose();
    });
  }

  #callOnDispose: (() => unknown) | undefined;

  constructor(callOnDispose: () => unknown) {
    this.#callOnDispose = callOnDispose;
  }

  dispose(): unknown {
    const call = this.#callOnDispose;
    this.#callOnDispose = undefined;
    return call?.();
  }
}

/** The worker's per-app state (AppContext.ts): programming model, functions, hooks, hook data. */
export class WorkerApp {
  programmingModel: ProgrammingModel | undefined;
  readonly functions = new Map<string, RegisteredFunction>();
  readonly hooks: Record<HookName, HookCallback[]> = {
    appStart: [],
    appTerminate: [],
    preInvocation: [],
    postInvocation: [],
    log: [],
  };
  /** Shared by every hook in every scope. */
  readonly appHookData: HookData = {};
  /** Shared by the app-level hooks (appStart, appTerminate) only. */
  readonly appLevelOnlyHookData: HookData = {};
  /** Set once the host has read the function list: later registrations are an error, as in Azure. */
  indexingLocked = false;
  currentEntryPoint: string | undefined;
  #sink: WorkerLogSink;

  constructor(sink: WorkerLogSink) {
    this.#sink = sink;
  }

  getHooks(hookName: string): HookCallback[] {
    if (!isHookName(hookName)) throw new WorkerRangeError(`Unrecognized hook "${hookName}"`);
    return this.hooks[hookName];
  }

  registerHook(hookName: string, callback: HookCallback): Disposable {
    const hooks = this.getHooks(hookName);
    hooks.push(callback);
    return new Disposable(() => {
      const index = hooks.indexOf(callback);
      if (index > -1) hooks.splice(index, 1);
    });
  }

  registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
    if (this.indexingLocked) {
      throw new WorkerSystemError("A function can only be registered during app startup.");
    }
    const functionId = metadata.functionId || metadata.name;
    if (this.functions.has(functionId)) {
      throw new WorkerSystemError(`A function with id "${functionId}" has already been registered.`);
    }
    const rpcMetadata: RpcFunctionMetadata = {
      name: metadata.name || functionId,
      functionId,
      bindings: metadata.bindings,
      // What the real host reads: one JSON string per binding, the binding name folded in.
      rawBindings: Object.entries(metadata.bindings).map(([name, binding]) =>
        JSON.stringify({ ...binding, name }),
      ),
      scriptFile: this.currentEntryPoint ? basename(this.currentEntryPoint) : "unknown",
      ...(this.currentEntryPoint ? { directory: dirname(this.currentEntryPoint) } : {}),
      ...(metadata.retryOptions ? { retryOptions: metadata.retryOptions } : {}),
    };
    this.functions.set(functionId, { metadata: rpcMetadata, callback });
    return new Disposable(() => {
      if (this.indexingLocked) {
        throw new WorkerSystemError("A function can only be disposed during app startup.");
      }
      this.functions.delete(functionId);
    });
  }

  setProgrammingModel(model: ProgrammingModel): void {
    if (this.programmingModel) {
      this.log({
        level: "information",
        category: "system",
        message: `Setting Node.js programming model to "${model.name}" version "${model.version}"`,
      });
    }
    this.programmingModel = model;
  }

  /**
   * Every log goes through the log hooks first, as in WorkerContext.log: hooks may rewrite the level
   * and message of user logs only, and a throwing hook never loses the line.
   */
  log(entry: WorkerLogEntry): void {
    const final = { ...entry };
    try {
      const context = createLogHookContext(entry, this.appHookData);
      for (const callback of this.hooks.log) {
        // Log hooks are synchronous in the worker; a stray promise must not become an unhandled rejection.
        Promise.resolve(callback(context)).catch(() => undefined);
      }
      if (entry.category === "user") {
        final.level = context.level;
        final.message = context.message;
      }
    } catch {
      // A user hook must not be able to suppress a log.
    }
    this.#sink(final);
  }
}

function isHookName(name: string): name is HookName {
  return ["appStart", "appTerminate", "preInvocation", "postInvocation", "log"].includes(name);
}

function createLogHookContext(entry: WorkerLogEntry, appHookData: HookData): LogHookContext {
  const hookData = entry.invocation?.hookData ?? {};
  return {
    level: entry.level,
    message: entry.message,
    get category() {
      return entry.category;
    },
    get hookData() {
      return hookData;
    },
    get appHookData() {
      return appHookData;
    },
    get invocationContext() {
      return entry.invocation?.invocationContext;
    },
  };
}

/** The object `require("@azure/functions-core")` returns. */
export interface CoreApi {
  readonly version: string;
  readonly hostVersion: string;
  registerHook(hookName: string, callback: HookCallback): Disposable;
  setProgrammingModel(model: ProgrammingModel): void;
  getProgrammingModel(): ProgrammingModel | undefined;
  registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable;
  log(level: RpcLogLevel, category: RpcLogCategory, message: string): void;
  Disposable: typeof Disposable;
}

export function createCoreApi(app: WorkerApp): CoreApi {
  return {
    version: WORKER_VERSION,
    hostVersion: HOST_VERSION,
    registerHook: (hookName, callback) => app.registerHook(hookName, callback),
    setProgrammingModel: (model) => app.setProgrammingModel(model),
    getProgrammingModel: () => app.programmingModel,
    registerFunction: (metadata, callback) => app.registerFunction(metadata, callback),
    log: (level, category, message) => app.log({ level, category, message }),
    Disposable,
  };
}

/** Node's CommonJS loader internals that the hook below replaces; not in @types/node. */
interface CjsLoaderInternals {
  _load: (this: unknown, request: string, parent: unknown, isMain: boolean) => unknown;
}

/**
 * Makes `require("@azure/functions-core")` return `coreApi` anywhere in this process, as the worker
 * does. Module._load is the single funnel behind every CommonJS `require`, including the ones inside
 * an esbuild bundle and inside `@azure/functions` in node_modules. Returns the function that undoes it.
 */
export function installCoreModule(coreApi: CoreApi): () => void {
  const loader = Module as unknown as CjsLoaderInternals;
  const originalLoad = loader._load;
  loader._load = function load(this: unknown, request: string, parent: unknown, isMain: boolean): unknown {
    if (request === CORE_MODULE_ID) return coreApi;
    return originalLoad.call(this, request, parent, isMain);
  };
  return () => {
    loader._load = originalLoad;
  };
}

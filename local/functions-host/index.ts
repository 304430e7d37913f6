/**
 * The local Functions host: a stand-in for Azure Functions Core Tools (`func start`), which cannot
 * be installed here. It loads the app's own registrations the way the Azure Functions Node.js worker
 * does (it supplies `@azure/functions-core`), invokes functions through `@azure/functions`'
 * programming model exactly as the worker does, and mirrors the host's contract:
 * - HTTP triggers at `http://127.0.0.1:<port>/<routePrefix>/<route>` (see http-trigger.ts);
 * - timer triggers on their NCRONTAB schedules, in UTC (timer-trigger.ts);
 * - Storage queue triggers polling the queue named by the binding (queue-trigger.ts);
 * - Event Grid triggers at `/runtime/webhooks/eventgrid?functionName=NAME` (event-grid.ts);
 * - the admin API: status, function list, manual runs (admin-api.ts, which also documents the
 *   local-only `?wait=true`);
 * - queue output bindings; other input/output bindings are reported and ignored.
 *
 * ONE HOST PER PROCESS. The app is `require`d into this process, and a CommonJS module registers
 * its functions only the first time it is loaded, so `startFunctionsHost` throws if a host was
 * already started in the process (even a closed one). Run each host in its own process: a child
 * process (`main.ts`) or one vitest test file per host (vitest.config.ts uses the "forks" pool).
 */
import { existsSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { dirname, extname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { handleAdminRequest } from "./admin-api.ts";
import { createCoreApi, installCoreModule, WorkerApp, type WorkerLogEntry } from "./core-module.ts";
import type { AppStartContext, HookContext, WorkerCapabilities } from "./core-types.ts";
import { EVENT_GRID_WEBHOOK_PATH, eventInput, handleEventGridWebhook } from "./event-grid.ts";
import { indexFunction, type IndexedFunction, type RegisteredFunctionInfo } from "./function-index.ts";
import { sendEmpty, sendJson } from "./http-util.ts";
import { findHttpFunction, handleHttpTrigger, pathUnderPrefix } from "./http-trigger.ts";
import { errorMessage, FunctionInvoker, type InvocationInput, type InvocationResult } from "./invoke.ts";
import { HostLogger, LogLevelFilter, stdoutSink } from "./logger.ts";
import { QueueListener } from "./queue-trigger.ts";
import type { FunctionsHostKeys, HostRuntime } from "./runtime.ts";
import { mergeSettings, readHostConfig, readLocalSettings, type HostConfig } from "./settings.ts";
import { StorageQueues, warnUnsupportedBindings } from "./storage-queues.ts";
import { TimerListener } from "./timer-trigger.ts";

export type { RegisteredFunctionInfo } from "./function-index.ts";
export type { FunctionsHostKeys } from "./runtime.ts";
export { InvocationFailedError } from "./invoke.ts";

export interface FunctionsHostOptions {
  /** The app's CommonJS bundle (e.g. dist/main.cjs); an ES module (.mjs) is imported instead. */
  appPath: string;
  /**
   * The folder with host.json (and local.settings.json). Default: the bundle's folder if it has a
   * host.json, else its parent if that has one (dist/main.cjs → the project root), else the cwd.
   */
  appRoot?: string;
  /** 7071 by default (or local.settings.json Host.LocalHttpPort); 0 picks a free port. */
  port?: number;
  /** App settings; they win over the environment, which wins over local.settings.json. */
  settings?: Record<string, string>;
  /** Run timers on their schedules (default true). Off, timers still run through `invoke` and the admin API. */
  enableTimers?: boolean;
  /** Longest wait between polls of an empty queue; overrides host.json (local default 2 s). */
  queuePollingMaxMs?: number;
  /** Receives each log line instead of stdout. */
  log?: (line: string) => void;
  /** Enforce keys on HTTP triggers and the admin API; `func start` does not, so neither does the default. */
  keys?: FunctionsHostKeys;
}

export interface FunctionsHost {
  /** http://127.0.0.1:<port> */
  url: string;
  functions: RegisteredFunctionInfo[];
  /**
   * Runs a non-HTTP function now, as the admin API does, and waits for it: `input` is a queue
   * function's message or an Event Grid function's event (non-strings are JSON-serialised); timers
   * ignore it. Rejects with InvocationFailedError when the function fails.
   */
  invoke(name: string, input?: unknown): Promise<void>;
  /** Stops timers and pollers, waits for running invocations, runs appTerminate hooks, closes the server. */
  close(): Promise<void>;
}

const STARTED_KEY = Symbol.for("phoenix-ops.local-functions-host.started");
const DEFAULT_PORT = 7071;
/** How long `close` waits for running invocations before it goes on without them. */
const DRAIN_TIMEOUT_MS = 10_000;
const MANUAL_REASON = "This function was programmatically called via the host APIs.";

const HOST_OVERRIDE = "AzureFunctionsJobHost__";
const LOG_LEVEL_OVERRIDE = `${HOST_OVERRIDE}logging__logLevel__`;

export async function startFunctionsHost(options: FunctionsHostOptions): Promise<FunctionsHost> {
  const processState = globalThis as { [STARTED_KEY]?: boolean };
  if (processState[STARTED_KEY]) {
    throw new Error(
      "A local Functions host was already started in this process. The app is loaded with require() and " +
        "registers its functions only once per process, so start each host in its own process " +
        "(a child process running local/functions-host/main.ts, or one vitest test file per host).",
    );
  }
  processState[STARTED_KEY] = true;

  const appPath = resolve(options.appPath);
  if (!existsSync(appPath)) throw new Error(`App bundle not found: ${appPath} (build it first)`);
  const appRoot = resolve(options.appRoot ?? defaultAppRoot(appPath));
  const hostConfig = readHostConfig(appRoot);
  if (options.queuePollingMaxMs !== undefined)
    hostConfig.queues.maxPollingIntervalMs = options.queuePollingMaxMs;
  const localSettings = readLocalSettings(
    existsSync(join(appRoot, "local.settings.json")) ? appRoot : process.cwd(),
  );
  const settings = mergeSettings(localSettings.values, process.env, options.settings);

  // Like the real host, app settings override host.json values (AzureFunctionsJobHost__<path>).
  const batchOverride = settings[`${HOST_OVERRIDE}extensions__queues__batchSize`];
  if (batchOverride !== undefined) {
    const batchSize = Number(batchOverride);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 32) {
      throw new Error(`${HOST_OVERRIDE}extensions__queues__batchSize must be an integer from 1 to 32`);
    }
    hostConfig.queues.batchSize = batchSize;
    hostConfig.queues.newBatchThreshold = Math.floor(batchSize / 2);
  }
  const levelOverrides = Object.fromEntries(
    Object.entries(settings)
      .filter(([key]) => key.startsWith(LOG_LEVEL_OVERRIDE))
      .map(([key, value]) => [key.slice(LOG_LEVEL_OVERRIDE.length), String(value)]),
  );
  const logger = new HostLogger(
    options.log ?? stdoutSink,
    new LogLevelFilter({ ...hostConfig.logLevel, ...levelOverrides }),
  );
  const host = new LocalFunctionsHost({
    appPath,
    appRoot,
    hostConfig,
    settings,
    logger,
    keys: options.keys,
    enableTimers: options.enableTimers ?? true,
  });
  try {
    await host.start(options.port ?? localSettings.localHttpPort ?? DEFAULT_PORT);
  } catch (error) {
    await host.close();
    throw error;
  }
  return {
    url: host.baseUrl,
    functions: host.functions.map((f) => structuredClone(f.info)),
    invoke: (name, input) => host.invokeByName(name, input),
    close: () => host.close(),
  };
}

function defaultAppRoot(appPath: string): string {
  const dir = dirname(appPath);
  if (existsSync(join(dir, "host.json"))) return dir;
  if (existsSync(join(dir, "..", "host.json"))) return join(dir, "..");
  return process.cwd();
}

interface HostInit {
  appPath: string;
  appRoot: string;
  hostConfig: HostConfig;
  settings: Record<string, string>;
  logger: HostLogger;
  keys: FunctionsHostKeys | undefined;
  enableTimers: boolean;
}

class LocalFunctionsHost implements HostRuntime {
  readonly logger: HostLogger;
  readonly keys: FunctionsHostKeys | undefined;
  readonly startedAt = new Date();
  readonly routePrefix: string;
  baseUrl = "";
  httpStreamUri: string | undefined;
  running = false;
  functions: IndexedFunction[] = [];

  readonly #init: HostInit;
  readonly #app: WorkerApp;
  readonly #invoker: FunctionInvoker;
  readonly #queues: StorageQueues;
  readonly #timers = new Map<IndexedFunction, TimerListener>();
  readonly #queueListeners = new Map<IndexedFunction, QueueListener>();
  readonly #pendingQueueStarts = new Set<Promise<void>>();
  readonly #closing = new AbortController();
  #uninstallCoreModule: (() => void) | undefined;
  #server: Server | undefined;
  #closed: Promise<void> | undefined;

  constructor(init: HostInit) {
    this.#init = init;
    this.logger = init.logger;
    this.keys = init.keys;
    this.routePrefix = init.hostConfig.routePrefix;
    this.#app = new WorkerApp((entry) => this.#writeWorkerLog(entry));
    this.#queues = new StorageQueues(init.settings, init.hostConfig.queues.messageEncoding);
    this.#invoker = new FunctionInvoker({
      app: this.#app,
      logger: init.logger,
      timeoutMs: init.hostConfig.functionTimeoutMs,
      timeoutText: init.hostConfig.functionTimeoutText,
      applyOutputs: (fn, response) => this.#queues.applyOutputs(fn, response),
    });
  }

  async start(port: number): Promise<void> {
    const { appPath, appRoot, settings } = this.#init;
    // The app reads its settings from process.env, as it does in Azure; they must be there before it loads.
    for (const [key, value] of Object.entries(settings)) process.env[key] = value;
    process.env["FUNCTIONS_WORKER_RUNTIME"] ??= "node";
    process.env["AZURE_FUNCTIONS_ENVIRONMENT"] ??= "Development";
    process.env["AzureWebJobsScriptRoot"] ??= appRoot;

    this.#server = createServer((req, res) => void this.#dispatch(req, res));
    await new Promise<void>((resolveListen, reject) => {
      this.#server!.once("error", reject);
      this.#server!.listen(port, "127.0.0.1", () => resolveListen());
    });
    const address = this.#server.address();
    const boundPort = typeof address === "object" && address ? address.port : port;
    this.baseUrl = `http://127.0.0.1:${boundPort}`;
    process.env["WEBSITE_HOSTNAME"] ??= `127.0.0.1:${boundPort}`;

    this.#uninstallCoreModule = installCoreModule(createCoreApi(this.#app));
    this.logger.host("information", `Loading app ${appPath} (app root ${appRoot})`);
    this.#app.currentEntryPoint = appPath;
    try {
      await loadApp(appPath);
    } catch (error) {
      throw new Error(`Worker was unable to load entry point "${appPath}": ${errorMessage(error)}`, {
        cause: error,
      });
    } finally {
      this.#app.currentEntryPoint = undefined;
    }

    const appStartContext: AppStartContext = {
      ...hookDataOf(this.#app),
      functionAppDirectory: appRoot,
    };
    await this.#runAppHooks("appStart", appStartContext);
    // The worker reports its capabilities after startup; @azure/functions locks app.setup() here and
    // starts its streaming proxy when the app enabled HTTP streaming.
    const capabilities: WorkerCapabilities = await (this.#app.programmingModel?.getCapabilities?.({}) ?? {});
    this.httpStreamUri = capabilities["HttpUri"];
    this.#app.indexingLocked = true;

    this.functions = [...this.#app.functions.values()].map((fn) =>
      indexFunction(fn, settings, this.baseUrl, this.routePrefix),
    );
    this.#reportFunctions();
    this.#startListeners();
    this.running = true;
    this.logger.host("information", `Now listening on: ${this.baseUrl}`);
    this.logger.host("information", "Job host started");
  }

  find(name: string): IndexedFunction | undefined {
    const lower = name.toLowerCase();
    return this.functions.find((f) => f.info.name.toLowerCase() === lower);
  }

  execute(fn: IndexedFunction, input: InvocationInput): Promise<InvocationResult> {
    return this.#invoker.invoke(fn.fn, input);
  }

  invokeManually(fn: IndexedFunction, input: string | undefined): Promise<InvocationResult> {
    switch (fn.kind) {
      case "timer": {
        const timer = this.#timers.get(fn);
        if (!timer)
          return Promise.reject(new Error(`Timer '${fn.info.name}' is not indexed: ${fn.info.error ?? ""}`));
        const [inputData, triggerMetadata] = timer.manualInput();
        return this.execute(fn, { inputData, triggerMetadata, reason: MANUAL_REASON });
      }
      case "queue": {
        const [inputData, triggerMetadata] = QueueListener.manualInput(
          fn.triggerBindingName,
          fn.info.name,
          input ?? "",
        );
        return this.execute(fn, { inputData, triggerMetadata, reason: MANUAL_REASON });
      }
      case "eventGrid":
        return this.execute(fn, { ...eventInput(fn, parseJsonOrText(input ?? "{}")), reason: MANUAL_REASON });
      default:
        return Promise.reject(
          new Error(`The local host cannot run '${fn.info.triggerType}' functions manually`),
        );
    }
  }

  async invokeByName(name: string, input: unknown): Promise<void> {
    const fn = this.find(name);
    if (!fn)
      throw new Error(
        `No function named '${name}' (functions: ${this.functions.map((f) => f.info.name).join(", ")})`,
      );
    if (fn.kind === "http")
      throw new Error(`'${fn.info.name}' is HTTP-triggered: call ${fn.info.url ?? "its URL"}`);
    if (fn.info.error) throw new Error(`'${fn.info.name}' could not be indexed: ${fn.info.error}`);
    const text = input === undefined || typeof input === "string" ? input : JSON.stringify(input);
    await this.invokeManually(fn, text);
  }

  close(): Promise<void> {
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  async #shutdown(): Promise<void> {
    const wasRunning = this.running;
    this.running = false;
    this.#closing.abort();
    const serverClosed = new Promise<void>((resolveClose) => {
      if (!this.#server?.listening) return resolveClose();
      this.#server.close(() => resolveClose());
      this.#server.closeIdleConnections();
    });
    await Promise.allSettled([...this.#pendingQueueStarts]);
    await Promise.all([...this.#timers.values()].map((t) => t.stop()));
    await Promise.all([...this.#queueListeners.values()].map((q) => q.stop()));
    const drained = await Promise.race([
      Promise.allSettled(this.#invoker.running).then(() => true),
      sleep(DRAIN_TIMEOUT_MS, false, { ref: false }),
    ]);
    if (!drained)
      this.logger.host("warning", `Invocations still running after ${DRAIN_TIMEOUT_MS} ms; stopping anyway`);
    if (wasRunning) {
      try {
        await this.#runAppHooks("appTerminate", hookDataOf(this.#app));
      } catch (error) {
        this.logger.host("error", `appTerminate hook failed: ${errorMessage(error)}`);
      }
    }
    this.#server?.closeAllConnections();
    await serverClosed;
    this.#uninstallCoreModule?.();
    this.#uninstallCoreModule = undefined;
    if (wasRunning) this.logger.host("information", "Job host stopped");
  }

  async #runAppHooks(name: "appStart" | "appTerminate", context: HookContext): Promise<void> {
    const hooks = [...this.#app.hooks[name]];
    if (hooks.length === 0) return;
    this.logger.host("debug", `Executing ${hooks.length} "${name}" hooks`);
    for (const hook of hooks) await hook(context);
  }

  #reportFunctions(): void {
    const { logger } = this;
    if (this.functions.length === 0) {
      logger.host("warning", "No job functions found.");
      return;
    }
    logger.host(
      "information",
      `Found the following functions: ${this.functions.map((f) => f.info.name).join(", ")}`,
    );
    for (const f of this.functions) {
      if (f.info.error) logger.host("error", `The '${f.info.name}' function is in error: ${f.info.error}`);
      else if (f.kind === "unsupported") {
        logger.host(
          "warning",
          `Function '${f.info.name}': trigger '${f.info.triggerType}' is not supported locally; it will not run`,
        );
      }
      if (f.info.disabled) logger.host("information", `Function '${f.info.name}' is disabled`);
      warnUnsupportedBindings(f.fn, logger);
    }
  }

  #startListeners(): void {
    const { hostConfig, enableTimers } = this.#init;
    for (const f of this.functions) {
      if (f.info.error) continue;
      if (f.kind === "timer" && f.schedule) {
        const timer = new TimerListener({
          fn: f.fn,
          bindingName: f.triggerBindingName,
          schedule: f.schedule,
          runOnStartup: f.info.runOnStartup ?? false,
          useMonitor: typeof f.trigger["useMonitor"] === "boolean" ? f.trigger["useMonitor"] : undefined,
          execute: async (inputData, triggerMetadata, retryContext) => {
            await this.execute(f, {
              inputData,
              triggerMetadata,
              reason: "Timer fired",
              ...(retryContext ? { retryContext } : {}),
            });
          },
          logger: this.logger,
        });
        this.#timers.set(f, timer);
        if (enableTimers && !f.info.disabled) timer.start();
      }
      if (f.kind === "queue" && f.info.queueName && !f.info.disabled) {
        let listener: QueueListener;
        try {
          listener = new QueueListener({
            fn: f.fn,
            bindingName: f.triggerBindingName,
            queueName: f.info.queueName,
            connection: f.info.connection,
            queues: this.#queues,
            hostOptions: hostConfig.queues,
            functionTimeoutMs: hostConfig.functionTimeoutMs,
            execute: async (inputData, triggerMetadata) => {
              await this.execute(f, { inputData, triggerMetadata, reason: "New queue message detected" });
            },
            logger: this.logger,
          });
        } catch (error) {
          f.info.error = errorMessage(error);
          this.logger.host("error", `The '${f.info.name}' function is in error: ${f.info.error}`);
          continue;
        }
        this.#queueListeners.set(f, listener);
        const starting = this.#startQueueListener(f, listener).finally(() =>
          this.#pendingQueueStarts.delete(starting),
        );
        this.#pendingQueueStarts.add(starting);
      }
    }
  }

  /** Like the host, a listener that cannot start (storage down) is retried rather than fatal. */
  async #startQueueListener(f: IndexedFunction, listener: QueueListener): Promise<void> {
    const signal = this.#closing.signal;
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        await listener.start();
        return;
      } catch (error) {
        if (signal.aborted) return;
        this.logger.host(
          "error",
          `The listener for function 'Functions.${f.info.name}' was unable to start (attempt ${attempt}): ${errorMessage(error)}`,
        );
        await sleep(Math.min(30_000, 1000 * attempt), undefined, { signal }).catch(() => undefined);
      }
    }
  }

  #writeWorkerLog(entry: WorkerLogEntry): void {
    const scope = entry.invocation;
    if (!scope) {
      this.logger.host(entry.level, entry.message, "Host.Worker");
      return;
    }
    const category =
      entry.category === "user" ? `Function.${scope.functionName}.User` : `Function.${scope.functionName}`;
    this.logger.invocation(entry.level, scope.functionName, scope.invocationId, entry.message, category);
  }

  async #dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? "/", this.baseUrl);
      if (url.pathname.toLowerCase().startsWith("/admin/")) {
        if (!this.running && url.pathname !== "/admin/host/status") return sendEmpty(res, 503);
        return await handleAdminRequest(this, req, res, url);
      }
      if (!this.running) return sendEmpty(res, 503);
      if (url.pathname.toLowerCase() === EVENT_GRID_WEBHOOK_PATH) {
        return await handleEventGridWebhook(this, req, res, url);
      }
      const path = pathUnderPrefix(url.pathname, this.routePrefix);
      const match = path === undefined ? undefined : findHttpFunction(this, path, req.method ?? "GET");
      if (!match) return sendEmpty(res, 404);
      await handleHttpTrigger(this, match, req, res, url);
    } catch (error) {
      this.logger.host(
        "error",
        `Request ${req.method ?? ""} ${req.url ?? ""} failed in the host: ${errorMessage(error)}`,
      );
      if (!res.headersSent) sendJson(res, 500, {});
      else res.destroy();
    }
  }
}

function hookDataOf(app: WorkerApp): HookContext {
  return {
    get hookData() {
      return app.appLevelOnlyHookData;
    },
    get appHookData() {
      return app.appHookData;
    },
  };
}

/** CommonJS (.cjs, or .js outside a "type": "module" package) is required; ES modules are imported. */
async function loadApp(appPath: string): Promise<void> {
  const extension = extname(appPath);
  if (extension === ".mjs" || (extension === ".js" && isModulePackage(dirname(appPath)))) {
    await import(pathToFileURL(appPath).href);
    return;
  }
  createRequire(appPath)(appPath);
}

function isModulePackage(dir: string): boolean {
  for (let current = dir; ; current = dirname(current)) {
    const packageJson = join(current, "package.json");
    if (existsSync(packageJson)) {
      const require = createRequire(packageJson);
      return (require(packageJson) as { type?: string }).type === "module";
    }
    if (dirname(current) === current) return false;
  }
}

function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

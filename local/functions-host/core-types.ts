/**
 * The subset of the `@azure/functions-core` contract this host implements.
 *
 * The real module is built into the Azure Functions Node.js worker and never published to npm, so its
 * types (azure-functions-nodejs-worker, types-core/index.d.ts) are restated here for the parts that
 * `@azure/functions` v4 touches. Property names follow the worker's RPC types exactly: the programming
 * model reads them by name.
 */

export type RpcLogLevel = "trace" | "debug" | "information" | "warning" | "error" | "critical" | "none";
export type RpcLogCategory = "user" | "system" | "customMetric";

export interface RpcBindingInfo {
  type?: string | null;
  direction?: "in" | "out" | "inout" | null;
  dataType?: "undefined" | "string" | "binary" | "stream" | null;
  /** Trigger and binding options (route, schedule, queueName, ...) travel as extra properties. */
  [option: string]: unknown;
}

export interface RpcNullableString {
  value?: string | null;
}

export interface RpcHttpCookie {
  name?: string | null;
  value?: string | null;
  domain?: RpcNullableString | null;
  path?: RpcNullableString | null;
  expires?: { value?: { seconds?: number | null; nanos?: number | null } | null } | null;
  secure?: { value?: boolean | null } | null;
  httpOnly?: { value?: boolean | null } | null;
  sameSite?: "none" | "lax" | "strict" | "explicitNone" | null;
  maxAge?: { value?: number | null } | null;
}

export interface RpcHttpData {
  method?: string | null;
  url?: string | null;
  headers?: Record<string, string> | null;
  body?: RpcTypedData | null;
  params?: Record<string, string> | null;
  statusCode?: string | null;
  query?: Record<string, string> | null;
  enableContentNegotiation?: boolean | null;
  rawBody?: RpcTypedData | null;
  cookies?: RpcHttpCookie[] | null;
  nullableHeaders?: Record<string, RpcNullableString> | null;
  nullableParams?: Record<string, RpcNullableString> | null;
  nullableQuery?: Record<string, RpcNullableString> | null;
}

export interface RpcTypedData {
  string?: string | null;
  json?: string | null;
  bytes?: Uint8Array | null;
  stream?: Uint8Array | null;
  http?: RpcHttpData | null;
  int?: number | null;
  double?: number | null;
  collectionBytes?: { bytes?: Uint8Array[] | null } | null;
  collectionString?: { string?: string[] | null } | null;
  collectionDouble?: { double?: number[] | null } | null;
  collectionSint64?: { sint64?: number[] | null } | null;
}

export interface RpcParameterBinding {
  name?: string | null;
  data?: RpcTypedData | null;
}

export interface RpcException {
  source?: string | null;
  stackTrace?: string | null;
  message?: string | null;
}

export interface RpcTraceContext {
  traceParent?: string | null;
  traceState?: string | null;
  attributes?: Record<string, string> | null;
}

export interface RpcRetryContext {
  retryCount?: number | null;
  maxRetryCount?: number | null;
  exception?: RpcException | null;
}

export interface RpcInvocationRequest {
  invocationId?: string | null;
  functionId?: string | null;
  inputData?: RpcParameterBinding[] | null;
  triggerMetadata?: Record<string, RpcTypedData> | null;
  traceContext?: RpcTraceContext | null;
  retryContext?: RpcRetryContext | null;
}

export interface RpcInvocationResponse {
  invocationId?: string | null;
  outputData?: RpcParameterBinding[] | null;
  returnValue?: RpcTypedData | null;
}

export interface RpcDuration {
  seconds?: number | null;
  nanos?: number | null;
}

export interface RpcRetryOptions {
  maxRetryCount?: number | null;
  delayInterval?: RpcDuration | null;
  minimumInterval?: RpcDuration | null;
  maximumInterval?: RpcDuration | null;
  retryStrategy?: "exponentialBackoff" | "fixedDelay" | null;
}

/** What `@azure/functions` passes to `registerFunction` (its `toCoreFunctionMetadata`). */
export interface FunctionMetadata {
  name: string;
  functionId?: string;
  bindings: Record<string, RpcBindingInfo>;
  retryOptions?: RpcRetryOptions;
}

/** The worker's view of a registered function, as it reports it to the host. */
export interface RpcFunctionMetadata {
  name: string;
  functionId: string;
  bindings: Record<string, RpcBindingInfo>;
  rawBindings: string[];
  scriptFile: string;
  directory?: string;
  retryOptions?: RpcRetryOptions;
}

export type InvocationState = "preInvocationHooks" | "postInvocationHooks" | "invocation";

export interface CoreInvocationContext {
  invocationId: string;
  request: RpcInvocationRequest;
  metadata: RpcFunctionMetadata;
  state?: InvocationState;
  log(level: RpcLogLevel, category: RpcLogCategory, message: string): void;
}

export type FunctionCallback = (context: unknown, ...inputs: unknown[]) => unknown;

export interface InvocationArguments {
  context: unknown;
  inputs: unknown[];
}

export interface InvocationModel {
  getArguments(): Promise<InvocationArguments>;
  invokeFunction(context: unknown, inputs: unknown[], callback: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<RpcInvocationResponse>;
}

export type WorkerCapabilities = Record<string, string>;

export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreContext: CoreInvocationContext): InvocationModel | Promise<InvocationModel>;
  /** Optional: `@azure/functions` uses it to lock `app.setup()` and to start its HTTP streaming proxy. */
  getCapabilities?(capabilities: WorkerCapabilities): WorkerCapabilities | Promise<WorkerCapabilities>;
}

export type HookData = Record<string, unknown>;

export interface HookContext {
  readonly hookData: HookData;
  readonly appHookData: HookData;
}

export interface AppStartContext extends HookContext {
  functionAppDirectory: string;
}

export interface PreInvocationContext extends HookContext {
  readonly invocationContext: unknown;
  inputs: unknown[];
  functionCallback: FunctionCallback;
}

export interface PostInvocationContext extends HookContext {
  readonly invocationContext: unknown;
  inputs: unknown[];
  result: unknown;
  error: unknown;
}

export interface LogHookContext extends HookContext {
  level: RpcLogLevel;
  message: string;
  readonly category: RpcLogCategory;
  readonly invocationContext: unknown;
}

export type HookName = "appStart" | "appTerminate" | "preInvocation" | "postInvocation" | "log";

/** Hooks receive one of the contexts above, according to their name. */
export type HookCallback = (context: HookContext) => void | Promise<void>;

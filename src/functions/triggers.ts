import { app } from "@azure/functions";

/**
 * The Functions triggers of a list of procedures, as plain data: what the host needs to index the app
 * (kind, function name, binding options), without the handlers. The registration layer builds the
 * triggers from it; the deployable bundle writes it down at build time, so that the worker can index
 * the app without loading any procedure's code (scripts/build.ts, npm run bench:coldstart).
 */
export type TriggerSpec =
  | {
      kind: "http";
      name: string;
      procedure: string;
      options: { methods: string[]; route: string; authLevel: "function" | "anonymous" };
    }
  | { kind: "timer"; name: string; procedure: string; options: { schedule: string; runOnStartup: false } }
  | {
      kind: "storageQueue";
      name: string;
      procedure: string;
      options: { queueName: string; connection: "AzureWebJobsStorage" };
    };

// The handler types are the edge's; the triggers hand each its own kind of input.
export type AnyHandler = (input: never, context: never) => Promise<unknown>;

/** The triggers, with the host: the one place that calls `app.*`. */
export function registerTriggers(
  specs: readonly TriggerSpec[],
  handler: (spec: TriggerSpec) => AnyHandler,
): void {
  for (const spec of specs) {
    const h = handler(spec) as never;
    if (spec.kind === "http") {
      app.http(spec.name, { ...spec.options, methods: spec.options.methods as never, handler: h });
    } else if (spec.kind === "timer") {
      app.timer(spec.name, { ...spec.options, handler: h });
    } else {
      app.storageQueue(spec.name, { ...spec.options, handler: h });
    }
  }
}

/**
 * The deployable bundle's registration: the triggers from the list written at build time, each with a
 * handler that loads the app's code (procedures, edges, composition) on the first invocation of any.
 */
export function registerDeferred(
  specs: readonly TriggerSpec[],
  loadHandlers: () => (spec: TriggerSpec) => AnyHandler,
): void {
  let handlers: ((spec: TriggerSpec) => AnyHandler) | undefined;
  registerTriggers(specs, (spec) => {
    let handler: AnyHandler | undefined;
    return (input: never, context: never) => {
      handlers ??= loadHandlers();
      handler ??= handlers(spec);
      return handler(input, context);
    };
  });
}

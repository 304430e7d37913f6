/**
 * The invocation pipeline with a stand-in programming model, to pin down the worker's order of
 * events without @azure/functions: arguments, preInvocation hooks, the callback, postInvocation
 * hooks, the response; plus the host's timeout and retry policy.
 */
import { describe, expect, it } from "vitest";
import { WorkerApp } from "../../local/functions-host/core-module.ts";
import type {
  FunctionCallback,
  HookContext,
  PostInvocationContext,
  PreInvocationContext,
  ProgrammingModel,
} from "../../local/functions-host/core-types.ts";
import { FunctionInvoker, InvocationFailedError } from "../../local/functions-host/invoke.ts";
import { HostLogger, LogLevelFilter } from "../../local/functions-host/logger.ts";
import { runWithRetries } from "../../local/functions-host/retry.ts";

function setup(callback: FunctionCallback, timeoutMs?: number) {
  const events: string[] = [];
  const lines: string[] = [];
  const app = new WorkerApp((entry) => lines.push(`${entry.category}:${entry.message}`));
  const model: ProgrammingModel = {
    name: "stand-in",
    version: "1",
    getInvocationModel: (core) => ({
      getArguments: () => {
        events.push("getArguments");
        core.log("information", "user", `input ${JSON.stringify(core.request.inputData)}`);
        return Promise.resolve({ context: { id: core.invocationId }, inputs: ["input"] });
      },
      invokeFunction: async (context, inputs, fn) => {
        events.push(`invoke:${String(inputs[0])}`);
        return await fn(context, ...inputs);
      },
      getResponse: (_context, result) => {
        events.push(`getResponse:${String(result)}`);
        return Promise.resolve({ returnValue: { string: String(result) } });
      },
    }),
  };
  app.setProgrammingModel(model);
  app.registerFunction(
    { name: "f", bindings: { trigger: { type: "queueTrigger", direction: "in" } } },
    callback,
  );
  const fn = app.functions.get("f")!;
  const invoker = new FunctionInvoker({
    app,
    logger: new HostLogger((l) => lines.push(l), new LogLevelFilter()),
    timeoutMs,
    timeoutText: "00:00:00.05",
  });
  const run = () =>
    invoker.invoke(fn, { inputData: [{ name: "trigger", data: { string: "m" } }], reason: "test" });
  return { app, events, lines, run };
}

describe("FunctionInvoker", () => {
  it("runs hooks around the callback, which they may replace, and returns the response", async () => {
    const { app, events, run } = setup(() => "original");
    app.registerHook("preInvocation", (context: HookContext) => {
      const pre = context as PreInvocationContext;
      events.push("pre");
      pre.inputs = ["changed"];
      pre.functionCallback = () => "replaced";
    });
    app.registerHook("postInvocation", (context: HookContext) => {
      const post = context as PostInvocationContext;
      events.push(`post:${String(post.result)}`);
      post.result = "post-changed";
    });
    const { response, result } = await run();
    expect(events).toEqual([
      "getArguments",
      "pre",
      "invoke:changed",
      "post:replaced",
      "getResponse:post-changed",
    ]);
    expect(result).toBe("post-changed");
    expect(response.returnValue).toEqual({ string: "post-changed" });
  });

  it("fails the invocation with what the function threw, after postInvocation hooks saw it", async () => {
    const { app, run } = setup(() => {
      throw new Error("nope");
    });
    const seen: unknown[] = [];
    app.registerHook("postInvocation", (context: HookContext) => {
      seen.push((context as PostInvocationContext).error);
    });
    const failure = await run().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InvocationFailedError);
    expect((failure as Error).cause).toEqual(new Error("nope"));
    expect(seen).toEqual([new Error("nope")]);
  });

  it("wraps a thrown non-Error", async () => {
    const { run } = setup(() => {
      throw "plain string"; // eslint-disable-line @typescript-eslint/only-throw-error -- what some apps do
    });
    await expect(run()).rejects.toThrow(/plain string/);
  });

  it("times out with the host's message", async () => {
    const { run, lines } = setup(() => new Promise(() => undefined), 50);
    await expect(run()).rejects.toThrow(InvocationFailedError);
    expect(
      lines.some((l) => l.includes("Timeout value of 00:00:00.05 was exceeded by function: Functions.f")),
    ).toBe(true);
  });

  it("logs Executing/Executed lines and user logs with the invocation id", async () => {
    const { run, lines } = setup(() => "ok");
    const { invocationId } = await run();
    expect(lines).toContainEqual(expect.stringContaining(`f (${invocationId}): Executing 'Functions.f'`));
    expect(lines).toContainEqual(
      expect.stringContaining(`f (${invocationId}): Executed 'Functions.f' (Succeeded`),
    );
  });
});

describe("retry policies", () => {
  it("retries up to maxRetryCount, passing the retry context", async () => {
    const contexts: unknown[] = [];
    const signal = new AbortController().signal;
    const options = { maxRetryCount: 2, retryStrategy: "fixedDelay" as const, delayInterval: { seconds: 0 } };
    await expect(
      runWithRetries(options, signal, (context) => {
        contexts.push(context);
        return Promise.reject(new Error("still failing"));
      }),
    ).rejects.toThrow("still failing");
    expect(contexts).toEqual([
      { retryCount: 0, maxRetryCount: 2 },
      {
        retryCount: 1,
        maxRetryCount: 2,
        exception: expect.objectContaining({ message: "still failing" }) as unknown,
      },
      {
        retryCount: 2,
        maxRetryCount: 2,
        exception: expect.objectContaining({ message: "still failing" }) as unknown,
      },
    ]);
  });

  it("stops retrying once a run succeeds", async () => {
    let attempts = 0;
    const options = {
      maxRetryCount: 5,
      retryStrategy: "exponentialBackoff" as const,
      minimumInterval: { seconds: 0 },
    };
    await runWithRetries(options, new AbortController().signal, () => {
      attempts++;
      return attempts < 2 ? Promise.reject(new Error("once")) : Promise.resolve();
    });
    expect(attempts).toBe(2);
  });
});

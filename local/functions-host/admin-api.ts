/**
 * The host's admin API, the part `func` and tests use:
 * - `GET /admin/host/status` → `{"state": "Running", ...}`
 * - `GET /admin/host/ping` → 200
 * - `GET /admin/functions` and `GET /admin/functions/{name}` → function metadata with bindings
 * - `POST /admin/functions/{name}` with `{"input": "..."}` → 202, and the function runs in the
 *   background (how `func` runs a timer on demand; a queue function gets the input as its message,
 *   an Event Grid function the input parsed as its event).
 *
 * LOCAL-ONLY EXTENSION, not in the real host: `POST /admin/functions/{name}?wait=true` waits for the
 * run and answers 200 `{"invocationId"}` or 500 `{"invocationId", "error"}`, so tests need no polling.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { hostname } from "node:os";
import type { IndexedFunction } from "./function-index.ts";
import { isAuthorized, readBody, sendEmpty, sendJson } from "./http-util.ts";
import { errorMessage, InvocationFailedError } from "./invoke.ts";
import type { HostRuntime } from "./runtime.ts";

export async function handleAdminRequest(
  runtime: HostRuntime,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  if (!isAuthorized("admin", runtime.keys, req, url)) {
    sendEmpty(res, 401);
    return;
  }
  const path = url.pathname.replace(/\/+$/, "");
  const method = req.method ?? "GET";
  if (path === "/admin/host/status" && method === "GET") {
    sendJson(res, 200, {
      id: hostname(),
      state: runtime.running ? "Running" : "Stopped",
      version: "4.0.0-local",
      versionDetails: "phoenix-ops local functions host",
      platformVersion: "",
      instanceId: `${hostname()}-${process.pid}`,
      computerName: hostname(),
      processUptime: Date.now() - runtime.startedAt.getTime(),
    });
    return;
  }
  if (path === "/admin/host/ping") {
    sendEmpty(res, 200);
    return;
  }
  if (path === "/admin/functions" && method === "GET") {
    sendJson(
      res,
      200,
      runtime.functions.map((f) => describe(runtime, f)),
    );
    return;
  }
  const named = /^\/admin\/functions\/([^/]+)$/.exec(path);
  const fn = named?.[1] ? runtime.find(decodeURIComponent(named[1])) : undefined;
  if (!named || !fn) {
    sendEmpty(res, 404);
    return;
  }
  if (method === "GET") {
    sendJson(res, 200, describe(runtime, fn));
    return;
  }
  if (method !== "POST") {
    sendEmpty(res, 405);
    return;
  }
  await invoke(runtime, fn, req, res, url);
}

async function invoke(
  runtime: HostRuntime,
  fn: IndexedFunction,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  if (fn.kind === "http") {
    sendJson(res, 400, {
      error: `'${fn.info.name}' is HTTP-triggered: call it at ${fn.info.url ?? "its URL"}`,
    });
    return;
  }
  if (fn.kind === "unsupported" || fn.info.error) {
    sendJson(res, 400, {
      error: fn.info.error ?? `The local host cannot run '${fn.info.triggerType}' functions`,
    });
    return;
  }
  let input: string | undefined;
  try {
    const text = (await readBody(req)).toString("utf8");
    const body: unknown = text.trim() === "" ? {} : JSON.parse(text);
    const raw =
      typeof body === "object" && body !== null ? (body as Record<string, unknown>)["input"] : undefined;
    input =
      raw === undefined || raw === null ? undefined : typeof raw === "string" ? raw : JSON.stringify(raw);
  } catch {
    sendJson(res, 400, { error: 'The body must be JSON like {"input": "..."}' });
    return;
  }

  const run = runtime.invokeManually(fn, input);
  if (url.searchParams.get("wait") !== "true") {
    run.catch(() => undefined); // Logged by the invoker; the caller was answered already.
    sendEmpty(res, 202);
    return;
  }
  try {
    const { invocationId } = await run;
    sendJson(res, 200, { invocationId });
  } catch (error) {
    const cause = error instanceof InvocationFailedError ? error.cause : error;
    sendJson(res, 500, {
      ...(error instanceof InvocationFailedError ? { invocationId: error.invocationId } : {}),
      error: errorMessage(cause),
    });
  }
}

/** The host's FunctionMetadataResponse, trimmed to what is meaningful locally. */
function describe(runtime: HostRuntime, fn: IndexedFunction): Record<string, unknown> {
  const name = fn.info.name;
  const bindings = fn.fn.metadata.rawBindings.map((raw) => JSON.parse(raw) as unknown);
  return {
    name,
    href: `${runtime.baseUrl}/admin/functions/${encodeURIComponent(name)}`,
    ...(fn.info.url ? { invoke_url_template: fn.info.url } : {}),
    language: "node",
    config: { name, bindings },
    isDisabled: fn.info.disabled,
    ...(fn.info.error ? { error: fn.info.error } : {}),
  };
}

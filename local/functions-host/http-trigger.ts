/**
 * HTTP triggers: routes under the route prefix, the request as an RPC HttpData input, and the
 * function's RPC http output written back as the response. As in the host, an unknown route and a
 * method the function does not accept are both 404, a failed invocation is a 500 with an empty body,
 * and a function that returns nothing answers 204.
 *
 * When the app opted into HTTP streaming (`app.setup({ enableHttpStream: true })`), the request is
 * proxied to the HTTP server `@azure/functions` starts and its response streamed back, as the host
 * does; the RPC input then carries headers and route parameters in its trigger metadata.
 */
import { randomUUID } from "node:crypto";
import { request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { RpcHttpCookie, RpcHttpData, RpcInvocationResponse, RpcTypedData } from "./core-types.ts";
import type { IndexedFunction } from "./function-index.ts";
import {
  flattenHeaders,
  flattenQuery,
  isAuthorized,
  readBody,
  RequestTooLargeError,
  sendEmpty,
} from "./http-util.ts";
import { errorMessage, type InvocationInput } from "./invoke.ts";
import { compareRoutePrecedence, matchRoute } from "./routes.ts";
import type { HostRuntime } from "./runtime.ts";
import { jsonData, typedDataToBuffer } from "./typed-data.ts";

/** Headers that describe one hop, not the response; Node sets its own. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "content-length",
]);

export interface HttpMatch {
  fn: IndexedFunction;
  params: Record<string, string>;
}

/** The path after the route prefix ("" or "/..."), or undefined when the path is outside it. */
export function pathUnderPrefix(pathname: string, routePrefix: string): string | undefined {
  if (routePrefix === "") return pathname;
  const prefix = `/${routePrefix}`;
  const lower = pathname.toLowerCase();
  if (lower === prefix.toLowerCase()) return "";
  return lower.startsWith(`${prefix.toLowerCase()}/`) ? pathname.slice(prefix.length) : undefined;
}

/** The most specific route that matches path and method; a route that matches only the path is no match. */
export function findHttpFunction(runtime: HostRuntime, path: string, method: string): HttpMatch | undefined {
  const candidates = runtime.functions
    .filter((f) => f.kind === "http" && f.route && !f.info.error && !f.info.disabled)
    .sort((a, b) => compareRoutePrecedence(a.route!, b.route!));
  for (const fn of candidates) {
    if (fn.methods && !fn.methods.has(method.toUpperCase())) continue;
    const params = matchRoute(fn.route!, path);
    if (params) return { fn, params };
  }
  return undefined;
}

export async function handleHttpTrigger(
  runtime: HostRuntime,
  match: HttpMatch,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const { fn, params } = match;
  if (!isAuthorized(fn.info.authLevel ?? "anonymous", runtime.keys, req, url)) {
    sendEmpty(res, 401);
    return;
  }
  if (runtime.httpStreamUri) {
    await proxyStreamingRequest(runtime, runtime.httpStreamUri, match, req, res, url);
    return;
  }

  let body: Buffer;
  try {
    body = await readBody(req);
  } catch (error) {
    sendEmpty(res, error instanceof RequestTooLargeError ? 413 : 400);
    return;
  }
  const http: RpcHttpData = {
    method: req.method ?? "GET",
    url: url.href,
    headers: flattenHeaders(req),
    query: flattenQuery(url),
    params,
    ...(body.length > 0 ? { body: { bytes: body } } : {}),
  };
  const input: InvocationInput = {
    inputData: [{ name: fn.triggerBindingName, data: { http } }],
    reason: `This function was programmatically called via the host APIs.`,
    ...traceParentOf(req),
  };
  let response: RpcInvocationResponse;
  try {
    response = (await runtime.execute(fn, input)).response;
  } catch {
    // The host hides the failure from the caller; the log has it.
    sendEmpty(res, 500);
    return;
  }
  try {
    writeRpcHttpResponse(res, httpOutput(fn, response), req.method === "HEAD");
  } catch (error) {
    runtime.logger.host(
      "error",
      `Function '${fn.info.name}' returned an HTTP response the host cannot send: ${errorMessage(error)}`,
    );
    if (!res.headersSent) sendEmpty(res, 500);
    else res.destroy();
  }
}

/** The http output binding's value: the return value for `$return`, else the named output. */
function httpOutput(fn: IndexedFunction, response: RpcInvocationResponse): RpcTypedData | null | undefined {
  const entry = Object.entries(fn.fn.metadata.bindings).find(
    ([, b]) => b.direction === "out" && b.type?.toLowerCase() === "http",
  );
  if (!entry) return undefined;
  const [name] = entry;
  return name === "$return" ? response.returnValue : response.outputData?.find((o) => o.name === name)?.data;
}

function writeRpcHttpResponse(
  res: ServerResponse,
  output: RpcTypedData | null | undefined,
  isHead: boolean,
): void {
  const http = output?.http;
  if (!http) {
    sendEmpty(res, 204);
    return;
  }
  const status = http.statusCode ? Number.parseInt(http.statusCode, 10) : 200;
  const body = typedDataToBuffer(http.body);
  for (const [name, value] of Object.entries(http.headers ?? {})) {
    if (!HOP_BY_HOP.has(name.toLowerCase())) res.setHeader(name, value);
  }
  const cookies = (http.cookies ?? []).map(serializeCookie);
  if (cookies.length > 0) {
    const existing = res.getHeader("set-cookie");
    const before = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
    res.setHeader("set-cookie", [...before, ...cookies]);
  }
  res.setHeader("content-length", body.length);
  res.statusCode = Number.isFinite(status) ? status : 200;
  res.end(isHead ? undefined : body);
}

function serializeCookie(cookie: RpcHttpCookie): string {
  const parts = [`${cookie.name ?? ""}=${cookie.value ?? ""}`];
  if (cookie.expires?.value) {
    const ms =
      (cookie.expires.value.seconds ?? 0) * 1000 + Math.floor((cookie.expires.value.nanos ?? 0) / 1e6);
    parts.push(`expires=${new Date(ms).toUTCString()}`);
  }
  if (typeof cookie.maxAge?.value === "number") parts.push(`max-age=${Math.floor(cookie.maxAge.value)}`);
  if (cookie.domain?.value) parts.push(`domain=${cookie.domain.value}`);
  if (cookie.path?.value) parts.push(`path=${cookie.path.value}`);
  if (cookie.secure?.value) parts.push("secure");
  // "none" means the app set no SameSite; "explicitNone" is SameSite=None.
  if (cookie.sameSite === "lax" || cookie.sameSite === "strict") parts.push(`samesite=${cookie.sameSite}`);
  else if (cookie.sameSite === "explicitNone") parts.push("samesite=none");
  if (cookie.httpOnly?.value) parts.push("httponly");
  return parts.join("; ");
}

function traceParentOf(req: IncomingMessage): { traceParent?: string } {
  const header = req.headers.traceparent;
  return typeof header === "string" && header !== "" ? { traceParent: header } : {};
}

async function proxyStreamingRequest(
  runtime: HostRuntime,
  streamUri: string,
  match: HttpMatch,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const { fn, params } = match;
  const invocationId = randomUUID();
  const headers = flattenHeaders(req);
  const query = flattenQuery(url);
  const target = new URL(`${url.pathname}${url.search}`, streamUri);
  const proxyReq = httpRequest(target, {
    method: req.method,
    headers: {
      ...req.headers,
      "x-ms-invocation-id": invocationId,
      "x-forwarded-host": req.headers.host ?? url.host,
      "x-forwarded-proto": "http",
    },
  });
  const proxied = new Promise<IncomingMessage>((resolve, reject) => {
    proxyReq.once("response", resolve);
    proxyReq.once("error", reject);
  });
  // Settled either way below; keeps an early proxy error from surfacing as an unhandled rejection.
  proxied.catch(() => undefined);
  req.pipe(proxyReq);

  const triggerMetadata: Record<string, RpcTypedData> = {
    Headers: jsonData(headers),
    Query: jsonData(query),
  };
  for (const [key, value] of Object.entries(params)) triggerMetadata[key] = { string: value };
  const input: InvocationInput = {
    invocationId,
    inputData: [
      {
        name: fn.triggerBindingName,
        data: { http: { method: req.method ?? "GET", url: url.href, headers, query, params } },
      },
    ],
    triggerMetadata,
    reason: `This function was programmatically called via the host APIs.`,
    ...traceParentOf(req),
  };
  const invocation = runtime.execute(fn, input);
  invocation.catch(() => undefined);

  // The response starts streaming as soon as the app sends it, possibly before the invocation ends.
  const first = await Promise.race([
    proxied.then((response) => ({ response }) as const),
    invocation.then(
      (result) => ({ result }) as const,
      () => ({ failed: true }) as const,
    ),
  ]);
  if ("failed" in first) {
    proxyReq.destroy();
    sendEmpty(res, 500);
    return;
  }
  let proxyRes: IncomingMessage;
  if ("response" in first) {
    proxyRes = first.response;
  } else if (first.result.result === undefined || first.result.result === null) {
    // `@azure/functions` sends nothing over the proxy for an empty result.
    proxyReq.destroy();
    sendEmpty(res, 204);
    return;
  } else {
    proxyRes = await proxied;
  }
  const outHeaders: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(proxyRes.headers)) {
    if (value === undefined || name === "x-ms-invocation-id" || HOP_BY_HOP.has(name)) continue;
    outHeaders[name] = value;
  }
  res.writeHead(proxyRes.statusCode ?? 200, outHeaders);
  proxyRes.pipe(res);
  await invocation.catch(() => res.destroy());
}

/** Small HTTP helpers shared by the host's surfaces. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AuthLevel } from "./function-index.ts";
import type { FunctionsHostKeys } from "./runtime.ts";

/** The host's default request size limit (100 MB). */
export const MAX_REQUEST_BODY_BYTES = 100 * 1024 * 1024;

export class RequestTooLargeError extends Error {}

export async function readBody(req: IncomingMessage, limit = MAX_REQUEST_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new RequestTooLargeError(`Request body is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body), "utf8");
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": bytes.length,
  });
  res.end(bytes);
}

export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, { "content-length": 0 });
  res.end();
}

/** Header values as one string each; repeated headers joined the way ASP.NET joins them. */
export function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

/** Query parameters as one string each; repeated keys joined with "," (ASP.NET StringValues). */
export function flattenQuery(url: URL): Record<string, string> {
  const query: Record<string, string> = {};
  for (const key of new Set(url.searchParams.keys())) query[key] = url.searchParams.getAll(key).join(",");
  return query;
}

/** See FunctionsHostKeys. */
export function isAuthorized(
  level: AuthLevel,
  keys: FunctionsHostKeys | undefined,
  req: IncomingMessage,
  url: URL,
): boolean {
  if (!keys || level === "anonymous") return true;
  const header = req.headers["x-functions-key"];
  const presented = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get("code") ?? undefined;
  if (!presented) return false;
  if (keys.masterKey && presented === keys.masterKey) return true;
  return level === "function" && keys.functionKeys.includes(presented);
}

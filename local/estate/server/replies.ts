import { randomUUID } from "node:crypto";
import type { Reply } from "./router.ts";

/** Error and success bodies in the shapes the Azure services use. */

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Reply {
  return { status, body, headers };
}

/** `{"error":{"code","message"}}`, the Resource Manager (and most data planes') error shape. */
export function azureError(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Reply {
  return { status, body: { error: { code, message } }, headers: { "x-ms-error-code": code, ...headers } };
}

export function badRequest(message: string, code = "BadRequest"): Reply {
  return azureError(400, code, message);
}

/** The Azure Monitor data-plane error, with the trace id Azure puts in additionalInfo. */
export function monitorError(status: number, code: string, message: string): Reply {
  const traceId = randomUUID();
  return {
    status,
    headers: { "x-ms-error-code": code },
    body: {
      error: {
        additionalInfo: [{ type: "string", info: `TraceId={${traceId}}` }],
        code,
        message: `${message}, traceId: {${traceId}}`,
      },
    },
  };
}

/** Thrown by request.json() for a body that is not JSON; the server answers 400. */
export class BodyError extends Error {}

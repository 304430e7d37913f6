import { randomUUID } from "node:crypto";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import type { z } from "zod";
import { authErrorResponse } from "../auth/auth-response.ts";
import { isAuthError } from "../auth/auth-error.ts";
import { type OpsErrorCode, isOpsError } from "../errors.ts";

/** RFC 9457 problem details. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** For 400s: each wrong field and why. */
  errors?: { field: string; message: string }[];
  /** For 500s: the id under which the failure was logged. */
  errorId?: string;
}

export class HttpProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
    this.name = "HttpProblem";
  }
}

export function problemResponse(problem: Problem, headers: Record<string, string> = {}): HttpResponseInit {
  return {
    status: problem.status,
    headers: { "content-type": "application/problem+json", "cache-control": "no-store", ...headers },
    body: JSON.stringify(problem),
  };
}

export function badRequest(detail: string, errors?: Problem["errors"]): HttpProblem {
  return new HttpProblem({
    type: "about:blank",
    title: "Bad Request",
    status: 400,
    detail,
    ...(errors ? { errors } : {}),
  });
}

/** Reads a JSON body within a byte limit and validates it; every failure is a 4xx naming what is wrong. */
export async function readJson<T>(request: HttpRequest, schema: z.ZodType<T>, maxBytes: number): Promise<T> {
  const type = request.headers.get("content-type") ?? "";
  if (type && !/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw new HttpProblem({
      type: "about:blank",
      title: "Unsupported Media Type",
      status: 415,
      detail: "the body must be application/json",
    });
  }
  const text = await readText(request, maxBytes);
  let raw: unknown = {};
  if (text.trim().length > 0) {
    try {
      raw = JSON.parse(text);
    } catch {
      throw badRequest("the body is not valid JSON", [{ field: "(body)", message: "not valid JSON" }]);
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((issue) => ({
      field: issue.path.length > 0 ? issue.path.map(String).join(".") : "(body)",
      message: issue.message,
    }));
    throw badRequest(errors.map((e) => `${e.field}: ${e.message}`).join("; "), errors);
  }
  return parsed.data;
}

/** The body as text, refusing more than `maxBytes` with a 413 (checked while reading, not after). */
export async function readText(request: HttpRequest, maxBytes: number): Promise<string> {
  const tooLarge = (): HttpProblem =>
    new HttpProblem({
      type: "about:blank",
      title: "Payload Too Large",
      status: 413,
      detail: `the body is larger than ${maxBytes} bytes`,
    });
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  if (!request.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  // The SDK types the body as ReadableStream<any>; on Node it yields Uint8Array chunks.
  for await (const chunk of request.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

const statusByCode: Partial<Record<OpsErrorCode, number>> = {
  BadRequest: 400,
  NotFound: 404,
  Conflict: 409,
  Unauthorized: 401,
  Forbidden: 403,
};

/**
 * Every HTTP function goes through this: known failures become problem+json with the right status,
 * anything else a 500 whose body carries only an id that is also in the log.
 */
export function httpHandler(
  handler: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request, context) => {
    try {
      return await handler(request, context);
    } catch (error) {
      if (error instanceof HttpProblem) return problemResponse(error.problem);
      if (isAuthError(error)) return authErrorResponse(error);
      if (isOpsError(error)) {
        const status = statusByCode[error.code];
        if (status) {
          const field = typeof error.details.field === "string" ? error.details.field : undefined;
          return problemResponse({
            type: "about:blank",
            title: error.code,
            status,
            detail: error.message,
            ...(field && status === 400 ? { errors: [{ field, message: error.message }] } : {}),
          });
        }
        if (error.retryable) {
          const errorId = randomUUID();
          context.error("request failed: dependency unavailable", {
            errorId,
            code: error.code,
            message: error.message,
          });
          return problemResponse(
            {
              type: "about:blank",
              title: "Service Unavailable",
              status: 503,
              detail: "a dependency is unavailable; try again later",
              errorId,
            },
            { "retry-after": "30" },
          );
        }
      }
      const errorId = randomUUID();
      context.error("request failed", {
        errorId,
        code: isOpsError(error) ? error.code : "Internal",
        message: error instanceof Error ? error.message : String(error),
      });
      return problemResponse({
        type: "about:blank",
        title: "Internal Server Error",
        status: 500,
        detail: "the request failed; quote the errorId when reporting it",
        errorId,
      });
    }
  };
}

export function json(status: number, body: unknown): HttpResponseInit {
  return {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
    body: JSON.stringify(body),
  };
}

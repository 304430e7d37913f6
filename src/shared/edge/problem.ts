import { randomUUID } from "node:crypto";
import type { HttpResponseInit } from "@azure/functions";
import { isAuthError } from "../auth/auth-error.ts";
import { type OpsErrorCode, isOpsError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { FieldIssue } from "../validation.ts";

/** RFC 9457 problem details. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** For 400s: each wrong field and why. */
  errors?: FieldIssue[];
  /** For 5xx: the id under which the failure was logged. */
  errorId?: string;
  /** For 401/403: the precise reason (an extension member). */
  code?: string;
}

/** A failure that is already an HTTP answer (bad body, wrong media type, too large). */
export class HttpProblem extends Error {
  constructor(
    readonly problem: Problem,
    readonly headers: Record<string, string> = {},
  ) {
    super(problem.detail);
    this.name = "HttpProblem";
  }
}

/** The one table from an error code to an HTTP status and problem title. */
const answers: Partial<Record<OpsErrorCode, { status: number; title: string }>> = {
  BadRequest: { status: 400, title: "Bad Request" },
  NotFound: { status: 404, title: "Not Found" },
  Conflict: { status: 409, title: "Conflict" },
  Unauthorized: { status: 401, title: "Unauthorized" },
  Forbidden: { status: 403, title: "Forbidden" },
  PayloadTooLarge: { status: 413, title: "Payload Too Large" },
  UnsupportedMediaType: { status: 415, title: "Unsupported Media Type" },
};

export function problem(
  status: number,
  title: string,
  detail: string,
  extra: Partial<Problem> = {},
): HttpProblem {
  return new HttpProblem({ type: "about:blank", title, status, detail, ...extra });
}

export function badRequest(detail: string, errors?: FieldIssue[]): HttpProblem {
  return problem(400, "Bad Request", detail, errors ? { errors } : {});
}

export function problemResponse(body: Problem, headers: Record<string, string> = {}): HttpResponseInit {
  return {
    status: body.status,
    headers: { "content-type": "application/problem+json", "cache-control": "no-store", ...headers },
    body: JSON.stringify(body),
  };
}

export function json(status: number, body: unknown): HttpResponseInit {
  return {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
    body: JSON.stringify(body),
  };
}

/**
 * Any failure as an HTTP answer. Known failures become problem+json with their status; a dependency
 * that is down a 503 with Retry-After; anything else a 500 whose body carries only an id that is also
 * in the log. This is where a failed request is logged, once.
 */
export function errorResponse(error: unknown, logger: Logger): HttpResponseInit {
  if (error instanceof HttpProblem) return problemResponse(error.problem, error.headers);
  if (isAuthError(error)) {
    logger.warn("request refused", { status: error.status, reason: error.code });
    return problemResponse(
      {
        type: "about:blank",
        title: error.status === 401 ? "Unauthorized" : "Forbidden",
        status: error.status,
        detail: error.message,
        code: error.code,
      },
      { "www-authenticate": error.challenge },
    );
  }
  if (isOpsError(error)) {
    const answer = answers[error.code];
    if (answer) {
      const field = typeof error.details.field === "string" ? error.details.field : undefined;
      return problemResponse({
        type: "about:blank",
        title: answer.title,
        status: answer.status,
        detail: error.message,
        ...(field && answer.status === 400 ? { errors: [{ field, message: error.message }] } : {}),
      });
    }
    if (error.retryable) {
      const errorId = randomUUID();
      logger.error("request failed: dependency unavailable", {
        errorId,
        code: error.code,
        error: error.message,
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
  logger.error("request failed", {
    errorId,
    code: isOpsError(error) ? error.code : "Internal",
    error: error instanceof Error ? error.message : String(error),
  });
  return problemResponse({
    type: "about:blank",
    title: "Internal Server Error",
    status: 500,
    detail: "the request failed; quote the errorId when reporting it",
    errorId,
  });
}

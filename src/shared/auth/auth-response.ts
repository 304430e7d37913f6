import type { HttpResponseInit } from "@azure/functions";
import type { Problem } from "../http/problem.ts";
import { problemResponse } from "../http/problem.ts";
import type { AuthError } from "./auth-error.ts";

/**
 * The HTTP answer for a refused caller: problem+json with the fixed message and the specific code
 * (an RFC 9457 extension member), plus the Bearer challenge. Nothing from the token is echoed.
 */
export function authErrorResponse(error: AuthError): HttpResponseInit {
  const problem: Problem & { code: string } = {
    type: "about:blank",
    title: error.status === 401 ? "Unauthorized" : "Forbidden",
    status: error.status,
    detail: error.message,
    code: error.code,
  };
  return problemResponse(problem, { "www-authenticate": error.challenge });
}

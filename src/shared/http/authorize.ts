import type { HttpRequest } from "@azure/functions";
import { HttpProblem } from "./problem.ts";
import type { Caller } from "../auth/caller.ts";
import { requireRole } from "../auth/roles.ts";
import type { EntraTokenValidator } from "../auth/entra-token.ts";

/**
 * The caller of an operator endpoint: a valid Entra ID token for the app holding one of the roles.
 * Without a configured tenant nobody gets in (secure by default).
 */
export async function authorize(
  request: HttpRequest,
  validator: EntraTokenValidator | null,
  anyOfRoles: readonly string[],
): Promise<Caller> {
  if (!validator) {
    // A server that cannot check tokens lets nobody in, and says it is misconfigured rather than
    // inviting the caller to retry with a token that can never pass.
    throw new HttpProblem({
      type: "about:blank",
      title: "Service Unavailable",
      status: 503,
      detail: "operator authentication is not configured (PHOENIX_AUTH_TENANT_ID)",
    });
  }
  const caller = await validator.validate(request.headers.get("authorization"));
  requireRole(caller, anyOfRoles);
  return caller;
}

/** How a caller appears in incident history. */
export function callerName(caller: Caller): string {
  return caller.name
    ? `${caller.name} (${caller.objectId})`
    : caller.kind === "app"
      ? `app ${caller.appId ?? caller.objectId}`
      : caller.objectId;
}

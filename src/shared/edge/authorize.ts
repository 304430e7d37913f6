import type { Caller } from "../auth/caller.ts";
import type { EntraTokenValidator } from "../auth/entra-token.ts";
import { requireRole } from "../auth/roles.ts";
import type { AppRole } from "../procedures/declaration.ts";
import { problem } from "./problem.ts";

/**
 * Ops.Operator can do all that Ops.Reader can: an operator who runs changes may also read.
 */
const rolesFor: Record<AppRole, readonly string[]> = {
  "Ops.Reader": ["Ops.Reader", "Ops.Operator"],
  "Ops.Operator": ["Ops.Operator"],
};

/**
 * The caller of an operator endpoint: a valid Entra ID token for the app holding the role.
 * Without a configured tenant nobody gets in (secure by default).
 */
export async function authorize(
  authorization: string | null,
  validator: EntraTokenValidator | null,
  role: AppRole,
): Promise<Caller> {
  if (!validator) {
    // A server that cannot check tokens lets nobody in, and says it is misconfigured rather than
    // inviting the caller to retry with a token that can never pass.
    throw problem(
      503,
      "Service Unavailable",
      "operator authentication is not configured (PHOENIX_AUTH_TENANT_ID)",
    );
  }
  const caller = await validator.validate(authorization);
  requireRole(caller, rolesFor[role]);
  return caller;
}

/** How a caller appears in history and audit records. */
export function callerName(caller: Caller): string {
  return caller.name
    ? `${caller.name} (${caller.objectId})`
    : caller.kind === "app"
      ? `app ${caller.appId ?? caller.objectId}`
      : caller.objectId;
}

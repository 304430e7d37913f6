import { validateActionGroupCaller } from "../auth/action-groups.ts";
import { AuthError } from "../auth/auth-error.ts";
import type { ProcedureRuntime } from "../procedures/runtime.ts";

/**
 * A webhook's own proof. The function key is checked by the Functions host before the call reaches
 * the app; on top of it, with PHOENIX_ALERTS_REQUIRE_TOKEN, the action group's secure-webhook token.
 */
export async function checkWebhookCaller(
  authorization: string | null,
  runtime: Pick<ProcedureRuntime, "settings" | "tokenValidator">,
): Promise<string> {
  const { settings, tokenValidator } = runtime;
  if (!settings.PHOENIX_ALERTS_REQUIRE_TOKEN) return "webhook";
  if (!tokenValidator) throw new AuthError("missing_token");
  const caller = await tokenValidator.validate(authorization);
  validateActionGroupCaller(
    caller,
    settings.PHOENIX_ALERTS_TOKEN_ROLE ? { requiredRole: settings.PHOENIX_ALERTS_TOKEN_ROLE } : {},
  );
  return "action group";
}

import { AuthError } from "./auth-error.ts";
import type { Caller } from "./caller.ts";

/**
 * Azure Monitor action groups call a "secure webhook" with an Entra token they obtain as the
 * multi-tenant "AzNS AAD Webhook" service principal, whose application id is fixed. The Azure Monitor
 * docs ("Action groups", secure webhook PowerShell script) give the id and create an app role named
 * ActionGroupsSecureWebhook on the receiving app, assigned to that service principal.
 */
export const actionGroupsAppId = "461e8683-5575-4561-ac7f-899cc907d62a";
export const actionGroupsSecureWebhookRole = "ActionGroupsSecureWebhook";

export interface ActionGroupCallerOptions {
  /** The app role the action groups' service principal must hold; ActionGroupsSecureWebhook by default. */
  requiredRole?: string;
}

/**
 * Passes only for an app-only token of the action groups' service principal that carries the role;
 * otherwise a 403. This proves the call comes from Azure Monitor in this tenant, not from which action
 * group or subscription: the handler still checks the alert's resource ids against the policy.
 */
export function validateActionGroupCaller(caller: Caller, options: ActionGroupCallerOptions = {}): void {
  if (caller.kind !== "app" || caller.appId?.toLowerCase() !== actionGroupsAppId) {
    throw new AuthError("not_action_group");
  }
  const role = options.requiredRole ?? actionGroupsSecureWebhookRole;
  if (!caller.roles.includes(role)) throw new AuthError("insufficient_role");
}

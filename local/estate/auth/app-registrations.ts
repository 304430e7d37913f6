import { stableUuid } from "../signals/random.ts";

/**
 * The estate's directory: the app registrations and service principals the local tenant knows, and
 * which app roles each is assigned on the Phoenix Ops API. In Azure these come from the API's app
 * registration (its appRoles) and from app role assignments; here they are fixed so tests and the
 * CLI's local mode can use them by name. The secrets are local-only and not secret.
 */

/** The Phoenix Ops API's registration: what callers ask tokens for. */
export const phoenixOpsApi = {
  displayName: "Phoenix Ops API",
  appIdUri: "api://phoenix-ops",
  clientId: "5e0b7c2d-3f4a-4b6c-8d9e-1f2a3b4c5d6e",
  /** The registration's appRoles (their `value`s). */
  roles: {
    reader: "Ops.Reader",
    operator: "Ops.Operator",
    /** Created on the API by the Azure Monitor secure-webhook script, assigned to the action groups' SP. */
    actionGroupsSecureWebhook: "ActionGroupsSecureWebhook",
  },
} as const;

/** "AzNS AAD Webhook": the multi-tenant app Azure Monitor action groups get secure-webhook tokens as. */
export const actionGroupsAppId = "461e8683-5575-4561-ac7f-899cc907d62a";

export interface LocalClient {
  displayName: string;
  clientId: string;
  clientSecret: string;
}

/** Confidential clients that can use the client-credentials grant against the estate. */
export const localClients = {
  /** Assigned Ops.Reader. */
  reader: {
    displayName: "ops-reader",
    clientId: "a1c3e5f7-2b4d-4f6a-8c1e-3a5c7e9b1d2f",
    clientSecret: "local-ops-reader~secret-not-secret",
  },
  /** Assigned Ops.Operator. */
  operator: {
    displayName: "ops-operator",
    clientId: "b2d4f6a8-3c5e-4a7b-9d2f-4b6d8f0a2c3e",
    clientSecret: "local-ops-operator~secret-not-secret",
  },
  /** Registered in the tenant, assigned no role on the API. */
  noRoles: {
    displayName: "no-roles",
    clientId: "c3e5a7b9-4d6f-4b8c-8e3a-5c7e9a1b3d4f",
    clientSecret: "local-no-roles~secret-not-secret",
  },
  /** Stands in for Azure Monitor: the action groups' app id, assigned ActionGroupsSecureWebhook. */
  actionGroup: {
    displayName: "AzNS AAD Webhook",
    clientId: actionGroupsAppId,
    clientSecret: "local-action-groups~secret-not-secret",
  },
} as const satisfies Record<string, LocalClient>;

const apiRoleAssignments = new Map<string, string[]>([
  [localClients.reader.clientId, [phoenixOpsApi.roles.reader]],
  [localClients.operator.clientId, [phoenixOpsApi.roles.operator]],
  [localClients.noRoles.clientId, []],
  [localClients.actionGroup.clientId, [phoenixOpsApi.roles.actionGroupsSecureWebhook]],
]);

/**
 * Every managed identity the estate serves (system-assigned or any user-assigned client id) is the
 * ops app itself or the operator's laptop in local mode: it may run operator procedures.
 */
export const managedIdentityApiRoles: readonly string[] = [phoenixOpsApi.roles.operator];

export function findLocalClient(clientId: string): LocalClient | undefined {
  const id = clientId.toLowerCase();
  return Object.values(localClients).find((client) => client.clientId === id);
}

/** The roles a confidential client holds on the Phoenix Ops API. */
export function apiRolesOf(clientId: string): string[] {
  return [...(apiRoleAssignments.get(clientId.toLowerCase()) ?? [])];
}

/** A service principal's object id in the local tenant, stable across runs. */
export function servicePrincipalObjectId(clientId: string): string {
  return stableUuid(`sp|${clientId.toLowerCase()}`);
}

/**
 * Whether a requested resource (scope without `/.default`) is the Phoenix Ops API, by its Application
 * ID URI or its client id. Entra matches the URI case-insensitively and ignores one trailing slash.
 */
export function isPhoenixOpsApi(resource: string): boolean {
  const r = resource.replace(/\/+$/, "").toLowerCase();
  return r === phoenixOpsApi.appIdUri || r === phoenixOpsApi.clientId;
}

/** The `aud` Entra puts in a token for the API: the identifier as registered, in the form asked for. */
export function phoenixOpsAudience(resource: string): string {
  const r = resource.replace(/\/+$/, "").toLowerCase();
  return r === phoenixOpsApi.clientId ? phoenixOpsApi.clientId : phoenixOpsApi.appIdUri;
}

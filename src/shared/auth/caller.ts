/** Who called, as established by a validated Entra ID access token. */
export interface Caller {
  /** `oid`: the user's or service principal's object id in the tenant. */
  objectId: string;
  /** `appid` (v1 tokens) or `azp` (v2 tokens): the client application's id. */
  appId: string | null;
  /** `upn`, `preferred_username`, `unique_name`, `name` or `app_displayname`, when the token has one. */
  name: string | null;
  /** `roles`: the app roles assigned to the caller on this API. */
  roles: string[];
  /** `tid`. */
  tenantId: string;
  /** `app` for app-only tokens (client credentials, managed identity), `user` for delegated ones. */
  kind: "user" | "app";
}

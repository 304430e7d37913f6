import { randomUUID, timingSafeEqual } from "node:crypto";
import type { EstateContext } from "../context.ts";
import { json } from "../server/replies.ts";
import type { Reply, Route } from "../server/router.ts";

/**
 * The App Service managed-identity endpoint (api-version 2019-08-01, as @azure/msal-node's AppService
 * source calls it when IDENTITY_ENDPOINT and IDENTITY_HEADER are set) and the tenant's OIDC metadata.
 */

function msiError(status: number, message: string): Reply {
  return json({ statusCode: status, message, correlationId: randomUUID() }, status);
}

function sameSecret(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== "string") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function identityRoutes(ctx: EstateContext): Route[] {
  return [
    {
      method: "GET",
      path: "/msi/token",
      access: "open",
      name: "msi-token",
      handle: async (request) => {
        if (!sameSecret(request.headers["x-identity-header"], ctx.identityHeader)) {
          return msiError(401, "Unauthorized: the X-IDENTITY-HEADER header is missing or does not match.");
        }
        const apiVersion = request.query.get("api-version");
        if (apiVersion !== "2019-08-01") {
          return msiError(400, `api-version '${apiVersion ?? ""}' is not supported; use 2019-08-01.`);
        }
        const resource = request.query.get("resource");
        if (!resource) return msiError(400, "The 'resource' query parameter is required.");
        if (!ctx.tokens.isKnownAudience(resource.replace(/\/\.default$/, ""))) {
          return msiError(
            400,
            `AADSTS500011: The resource principal named ${resource} was not found in the tenant.`,
          );
        }
        const clientId = request.query.get("client_id") ?? request.query.get("clientid");
        const objectId = request.query.get("object_id") ?? request.query.get("principal_id");
        const token = await ctx.tokens.issue({
          resource,
          ...(clientId ? { clientId } : {}),
          ...(objectId ? { objectId } : {}),
        });
        return json({
          access_token: token.accessToken,
          expires_on: String(token.expiresOn),
          resource: token.resource,
          token_type: "Bearer",
          client_id: token.clientId,
        });
      },
    },
    {
      method: "GET",
      path: "/{tenantId}/v2.0/.well-known/openid-configuration",
      access: "open",
      name: "oidc-configuration",
      handle: (request) =>
        request.params["tenantId"]?.toLowerCase() === ctx.tenantId
          ? json(ctx.tokens.openIdConfiguration())
          : json({ error: "invalid_tenant", error_description: "AADSTS90002: Tenant not found." }, 400),
    },
    {
      method: "GET",
      path: "/{tenantId}/discovery/v2.0/keys",
      access: "open",
      name: "oidc-keys",
      handle: (request) =>
        request.params["tenantId"]?.toLowerCase() === ctx.tenantId
          ? json(ctx.tokens.jwks())
          : json({ error: "invalid_tenant", error_description: "AADSTS90002: Tenant not found." }, 400),
    },
  ];
}

import { randomUUID, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import {
  apiRolesOf,
  findLocalClient,
  isPhoenixOpsApi,
  managedIdentityApiRoles,
  phoenixOpsAudience,
  servicePrincipalObjectId,
} from "../auth/app-registrations.ts";
import type { IssuedToken } from "../auth/tokens.ts";
import type { EstateContext } from "../context.ts";
import { badRequest, json } from "../server/replies.ts";
import type { EstateRequest, Reply, Route } from "../server/router.ts";

/**
 * The managed-identity endpoint in the forms clients call it: App Service's 2019-08-01 (as
 * @azure/msal-node's AppService source calls it when IDENTITY_ENDPOINT and IDENTITY_HEADER are set)
 * and 2017-09-01 (MSI_ENDPOINT/MSI_SECRET, as az 2.45 calls it), and the MSI extension's form POST; the
 * tenant's OIDC metadata,
 * and Entra's v2 token endpoint for the client-credentials grant (as ClientSecretCredential, through
 * msal-node, calls it). Both issue tokens for the estate's own APIs and for the Phoenix Ops API, whose
 * tokens carry the caller's app roles.
 */

function msiError(status: number, message: string): Reply {
  return json({ statusCode: status, message, correlationId: randomUUID() }, status);
}

/**
 * An error from the Entra token endpoint, in its shape: `error`, an AADSTS-prefixed description with
 * trace and correlation ids, `error_codes`. msal-node surfaces `error` and the description.
 */
function entraError(status: 400 | 401, error: string, code: number, description: string): Reply {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
  return json(
    {
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
    },
    status,
  );
}

/** What a token for `resource` is: its `aud` and the caller's roles on it; undefined when unknown. */
function resolveResource(
  ctx: EstateContext,
  resource: string,
  apiRoles: () => readonly string[],
): { audience: string; roles: readonly string[] } | undefined {
  const bare = resource.replace(/\/\.default$/, "");
  if (isPhoenixOpsApi(bare)) return { audience: phoenixOpsAudience(bare), roles: apiRoles() };
  if (ctx.tokens.isKnownAudience(bare)) return { audience: bare, roles: [] };
  return undefined;
}

/** client_secret_post (form fields) or client_secret_basic (RFC 6749 §2.3.1: url-encoded, then Basic). */
function clientCredentials(
  request: EstateRequest,
  form: URLSearchParams,
): { clientId: string | undefined; clientSecret: string | undefined } {
  const basic = /^Basic\s+(\S+)$/i.exec(request.headers.authorization ?? "")?.[1];
  if (basic) {
    const decoded = Buffer.from(basic, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon > 0) {
      try {
        return {
          clientId: decodeURIComponent(decoded.slice(0, colon)),
          clientSecret: decodeURIComponent(decoded.slice(colon + 1)),
        };
      } catch {
        return { clientId: undefined, clientSecret: undefined };
      }
    }
  }
  return {
    clientId: form.get("client_id") ?? undefined,
    clientSecret: form.get("client_secret") ?? undefined,
  };
}

async function clientCredentialsToken(ctx: EstateContext, request: EstateRequest): Promise<Reply> {
  if (request.params["tenantId"]?.toLowerCase() !== ctx.tenantId) {
    return entraError(
      400,
      "invalid_tenant",
      90002,
      `Tenant '${request.params["tenantId"] ?? ""}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    );
  }
  const form = new URLSearchParams(await request.text());
  const missing = (name: string) =>
    entraError(
      400,
      "invalid_request",
      900144,
      `The request body must contain the following parameter: '${name}'.`,
    );
  const grantType = form.get("grant_type");
  if (!grantType) return missing("grant_type");
  if (grantType !== "client_credentials") {
    return entraError(
      400,
      "unsupported_grant_type",
      70003,
      `The app requested an unsupported grant type '${grantType}'; the local estate serves client_credentials only.`,
    );
  }
  const { clientId, clientSecret } = clientCredentials(request, form);
  if (!clientId) return missing("client_id");
  const client = findLocalClient(clientId);
  if (!client) {
    return entraError(
      400,
      "unauthorized_client",
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${ctx.tenantId}'.`,
    );
  }
  if (!clientSecret) {
    return entraError(
      401,
      "invalid_client",
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  }
  if (!sameSecret(clientSecret, client.clientSecret)) {
    return entraError(
      401,
      "invalid_client",
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${client.clientId}'.`,
    );
  }
  const scope = form.get("scope");
  if (!scope) return missing("scope");
  const scopes = scope.split(/\s+/).filter((s) => s && !["openid", "profile", "offline_access"].includes(s));
  const single = scopes.length === 1 ? scopes[0] : undefined;
  if (!single) {
    return entraError(
      400,
      "invalid_scope",
      70011,
      `The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
    );
  }
  if (!single.endsWith("/.default")) {
    return entraError(
      400,
      "invalid_scope",
      1002012,
      `The provided value for scope ${single} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    );
  }
  const target = resolveResource(ctx, single, () => apiRolesOf(client.clientId));
  if (!target) {
    return entraError(
      400,
      "invalid_resource",
      500011,
      `The resource principal named ${single.replace(/\/\.default$/, "")} was not found in the tenant named ${ctx.tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    );
  }
  const token = await ctx.tokens.issue({
    resource: target.audience,
    clientId: client.clientId,
    objectId: servicePrincipalObjectId(client.clientId),
    roles: target.roles,
    clientAuth: "1",
  });
  const expiresIn = Math.max(0, token.expiresOn - Math.floor(Date.now() / 1000));
  return json({
    token_type: "Bearer",
    expires_in: expiresIn,
    ext_expires_in: expiresIn,
    access_token: token.accessToken,
  });
}

const signBody = z.object({ claims: z.record(z.string(), z.unknown()) });

function sameSecret(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== "string") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The two App Service managed-identity contracts: the header each authenticates with, and its expires_on. */
const appServiceContracts = [
  { apiVersion: "2019-08-01", header: "x-identity-header", expiresOn: (epoch: number) => String(epoch) },
  { apiVersion: "2017-09-01", header: "secret", expiresOn: appServiceDate },
] as const;

/** `12/01/2026 23:14:05 +00:00`: how the 2017-09-01 contract writes expires_on (az parses this form). */
function appServiceDate(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())}/${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +00:00`;
}

function unknownResource(resource: string): Reply {
  return msiError(400, `AADSTS500011: The resource principal named ${resource} was not found in the tenant.`);
}

/** A managed identity's token for a resource; undefined when the resource is not known in the tenant. */
async function managedIdentityToken(
  ctx: EstateContext,
  input: { resource: string; clientId: string | null | undefined; objectId: string | null | undefined },
): Promise<{ token: IssuedToken; now: number } | undefined> {
  const target = resolveResource(ctx, input.resource, () => managedIdentityApiRoles);
  if (!target) return undefined;
  const now = Math.floor(Date.now() / 1000);
  const token = await ctx.tokens.issue({
    resource: target.audience,
    roles: target.roles,
    ...(input.clientId ? { clientId: input.clientId } : {}),
    ...(input.objectId ? { objectId: input.objectId } : {}),
  });
  return { token, now };
}

export function identityRoutes(ctx: EstateContext): Route[] {
  return [
    {
      // App Service: 2019-08-01 with X-IDENTITY-HEADER (IDENTITY_ENDPOINT/IDENTITY_HEADER, today's SDKs)
      // or 2017-09-01 with `secret` (MSI_ENDPOINT/MSI_SECRET, what az 2.45 sends inside App Service).
      method: "GET",
      path: "/msi/token",
      access: "open",
      name: "msi-token",
      handle: async (request) => {
        const apiVersion = request.query.get("api-version");
        const contract = appServiceContracts.find((c) => c.apiVersion === apiVersion);
        if (!contract) {
          // App Service checks the secret first; an unknown version with no secret is a 401 there too.
          if (
            !sameSecret(request.headers["x-identity-header"], ctx.identityHeader) &&
            !sameSecret(request.headers["secret"], ctx.identityHeader)
          ) {
            return msiError(
              401,
              "Unauthorized: the X-IDENTITY-HEADER (or secret) header is missing or does not match.",
            );
          }
          return msiError(
            400,
            `api-version '${apiVersion ?? ""}' is not supported; use ${appServiceContracts.map((c) => c.apiVersion).join(" or ")}.`,
          );
        }
        if (!sameSecret(request.headers[contract.header], ctx.identityHeader)) {
          return msiError(
            401,
            `Unauthorized: the ${contract.header === "secret" ? "secret" : "X-IDENTITY-HEADER"} header is missing or does not match.`,
          );
        }
        const resource = request.query.get("resource");
        if (!resource) return msiError(400, "The 'resource' query parameter is required.");
        const issued = await managedIdentityToken(ctx, {
          resource,
          clientId: request.query.get("client_id") ?? request.query.get("clientid"),
          objectId: request.query.get("object_id") ?? request.query.get("principal_id"),
        });
        if (!issued) return unknownResource(resource);
        const { token } = issued;
        return json({
          access_token: token.accessToken,
          expires_on: contract.expiresOn(token.expiresOn),
          resource: token.resource,
          token_type: "Bearer",
          client_id: token.clientId,
        });
      },
    },
    {
      // The MSI extension's form POST (Cloud Shell, the old VM extension): what az 2.45 sends when
      // MSI_ENDPOINT is set outside App Service. It carries no secret, only `Metadata: true`, which
      // keeps a browser or a redirected request from fetching tokens (the header cannot be forged
      // cross-origin without a preflight), as IMDS does.
      method: "POST",
      path: "/msi/token",
      access: "open",
      // Counted apart from the GET contracts so tests can tell which one a client used.
      name: "msi-token-form",
      handle: async (request) => {
        if (String(request.headers["metadata"]).toLowerCase() !== "true") {
          return msiError(400, "Required metadata header not specified");
        }
        const form = new URLSearchParams(await request.text());
        const resource = form.get("resource");
        if (!resource) return msiError(400, "The 'resource' form field is required.");
        const issued = await managedIdentityToken(ctx, {
          resource,
          clientId: form.get("client_id"),
          objectId: form.get("object_id"),
        });
        if (!issued) return unknownResource(resource);
        const { token, now } = issued;
        return json({
          access_token: token.accessToken,
          refresh_token: "",
          expires_in: String(token.expiresOn - now),
          expires_on: String(token.expiresOn),
          not_before: String(now),
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
    {
      method: "POST",
      path: "/{tenantId}/oauth2/v2.0/token",
      access: "open",
      name: "entra-token",
      handle: (request) => clientCredentialsToken(ctx, request),
    },
    {
      // The control API's token minting, for tests: signs whatever claims it is given with the
      // estate's key. Nothing new is exposed: the estate already hands tokens to anyone on loopback.
      method: "POST",
      path: "/_estate/tokens/sign",
      access: "admin",
      name: "admin",
      handle: async (request) => {
        const body = signBody.safeParse(await request.json());
        if (!body.success) return badRequest('the body must be {"claims": {...}}');
        return json({ access_token: await ctx.tokens.sign(body.data.claims) });
      },
    },
  ];
}

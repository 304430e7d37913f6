import type { EstateContext } from "../context.ts";
import { azureError, json } from "../server/replies.ts";
import type { Route } from "../server/router.ts";

/**
 * Resource Manager's metadata discovery, `GET /metadata/endpoints?api-version=...`: the document a
 * client reads to learn a cloud's login endpoint, token audiences and service suffixes, as Azure
 * Stack and the sovereign clouds serve it. `az cloud register --endpoint-resource-manager <url>`
 * reads the 2015-01-01 form (one object); 2019-05-01 and later answer a list of clouds, the form
 * `ARM_CLOUD_METADATA_URL` points az at.
 *
 * The audiences are Azure's own: tokens for them are what the estate's APIs accept, exactly as the
 * app asks for them, so az and the app present the same kind of token.
 */

/** The name az shows for the estate when it reads the list form. */
export const localCloudName = "PhoenixLocalEstate";

const managementAudiences = ["https://management.core.windows.net/", "https://management.azure.com/"];

/** The first api-version that answers the list form. */
const listFormSince = "2019-05-01";

function legacyDocument(ctx: EstateContext): Record<string, unknown> {
  return {
    galleryEndpoint: `${ctx.url}/`,
    graphEndpoint: "https://graph.microsoft.com/",
    portalEndpoint: `${ctx.url}/`,
    authentication: { loginEndpoint: `${ctx.url}/`, audiences: managementAudiences },
  };
}

function cloudDocument(ctx: EstateContext): Record<string, unknown> {
  return {
    portal: `${ctx.url}/`,
    authentication: {
      loginEndpoint: `${ctx.url}/`,
      audiences: managementAudiences,
      tenant: "common",
      identityProvider: "AAD",
    },
    media: `${ctx.url}/`,
    graphAudience: "https://graph.microsoft.com/",
    graph: "https://graph.microsoft.com/",
    name: localCloudName,
    suffixes: {
      // The estate serves these services under its own origin, not under DNS names; the suffixes
      // are Azure's so that names built from them stay recognisable.
      keyVaultDns: "vault.azure.net",
      storage: "core.windows.net",
      sqlServerHostname: "database.windows.net",
      mhsmDns: "managedhsm.azure.net",
      acrLoginServer: "azurecr.io",
    },
    batch: "https://batch.core.windows.net/",
    resourceManager: `${ctx.url}/`,
    sqlManagement: `${ctx.url}/`,
    microsoftGraphResourceId: "https://graph.microsoft.com/",
    appInsightsResourceId: "https://api.applicationinsights.io",
    appInsightsTelemetryChannelResourceId: "https://dc.applicationinsights.azure.com/v2/track",
    logAnalyticsResourceId: "https://api.loganalytics.io",
  };
}

export function metadataRoutes(ctx: EstateContext): Route[] {
  return [
    {
      method: "GET",
      path: "/metadata/endpoints",
      access: "open",
      name: "arm-metadata",
      handle: (request) => {
        const version = request.query.get("api-version");
        if (!version) {
          return azureError(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
          );
        }
        if (!/^\d{4}-\d{2}-\d{2}(-preview)?$/.test(version)) {
          return azureError(
            400,
            "InvalidApiVersionParameter",
            `The api-version '${version}' is invalid. The supported versions are '2022-09-01,2020-06-01,2019-05-01,2015-01-01'.`,
          );
        }
        return version < listFormSince ? json(legacyDocument(ctx)) : json([cloudDocument(ctx)]);
      },
    },
  ];
}

import { parseResourceId } from "../azure-ids.ts";
import { OpsError, fromAzureError } from "../errors.ts";
import type { CallOptions } from "../ports/call-options.ts";
import type { ConfigValue, SiteConfigReader, SiteConfiguration } from "../ports/site-config-reader.ts";
import type { ArmClients } from "./arm-inventory.ts";

/** The site body's fields worth an engineer's look; nothing that can hold a secret. */
const siteFields = [
  "kind",
  "location",
  "state",
  "enabled",
  "availabilityState",
  "usageState",
  "defaultHostName",
  "hostNames",
  "serverFarmId",
  "httpsOnly",
  "clientAffinityEnabled",
  "clientCertEnabled",
  "clientCertMode",
  "publicNetworkAccess",
  "keyVaultReferenceIdentity",
  "redundancyMode",
  "lastModifiedTimeUtc",
] as const;

/**
 * The `config/web` fields worth an engineer's look. A list of what to keep rather than of what to
 * drop: the site config also carries connection strings, app settings, storage account keys and
 * publishing user names, and a field Azure adds later must not leak by default.
 */
const configFields = [
  "netFrameworkVersion",
  "phpVersion",
  "pythonVersion",
  "nodeVersion",
  "javaVersion",
  "javaContainer",
  "javaContainerVersion",
  "powerShellVersion",
  "linuxFxVersion",
  "windowsFxVersion",
  "appCommandLine",
  "alwaysOn",
  "http20Enabled",
  "minTlsVersion",
  "scmMinTlsVersion",
  "ftpsState",
  "healthCheckPath",
  "numberOfWorkers",
  "use32BitWorkerProcess",
  "webSocketsEnabled",
  "managedPipelineMode",
  "loadBalancing",
  "autoHealEnabled",
  "remoteDebuggingEnabled",
  "httpLoggingEnabled",
  "detailedErrorLoggingEnabled",
  "requestTracingEnabled",
  "logsDirectorySizeLimit",
  "vnetRouteAllEnabled",
  "publicNetworkAccess",
  "ipSecurityRestrictionsDefaultAction",
  "scmIpSecurityRestrictionsDefaultAction",
  "preWarmedInstanceCount",
  "functionAppScaleLimit",
  "minimumElasticInstanceCount",
] as const;

/** A site's configuration through @azure/arm-appservice: the site, its config/web, its app settings' names. */
export class ArmSiteConfigReader implements SiteConfigReader {
  constructor(private readonly clients: Pick<ArmClients, "webSites">) {}

  async getSiteConfig(siteId: string, options: CallOptions = {}): Promise<SiteConfiguration> {
    const { subscriptionId, resourceGroup, name } = site(siteId);
    const apps = this.clients.webSites(subscriptionId).webApps;
    const call = { abortSignal: options.abortSignal };
    try {
      // The body first: a site that does not exist is one NotFound, not two.
      const body = await apps.get(resourceGroup, name, call);
      const config = await apps.getConfiguration(resourceGroup, name, call);
      return {
        siteId,
        name,
        site: pick(body as unknown as Record<string, unknown>, siteFields),
        config: pick(config as unknown as Record<string, unknown>, configFields),
      };
    } catch (error) {
      throw fromAzureError(error, `site ${name} in resource group ${resourceGroup}`);
    }
  }

  async listAppSettingNames(siteId: string, options: CallOptions = {}): Promise<string[]> {
    const { subscriptionId, resourceGroup, name } = site(siteId);
    let settings;
    try {
      settings = await this.clients
        .webSites(subscriptionId)
        .webApps.listApplicationSettings(resourceGroup, name, { abortSignal: options.abortSignal });
    } catch (error) {
      throw fromAzureError(error, `app settings of site ${name} in resource group ${resourceGroup}`);
    }
    // Only the names leave this function; the values are secrets as often as not.
    return Object.keys(settings.properties ?? {}).sort((a, b) => a.localeCompare(b));
  }
}

function site(siteId: string): { subscriptionId: string; resourceGroup: string; name: string } {
  let parsed;
  try {
    parsed = parseResourceId(siteId);
  } catch (error) {
    throw new OpsError("BadRequest", `not a site id: ${siteId}`, { cause: error });
  }
  if (parsed.type.toLowerCase() !== "microsoft.web/sites") {
    throw new OpsError("BadRequest", `not a site id: ${siteId}`);
  }
  return { subscriptionId: parsed.subscriptionId, resourceGroup: parsed.resourceGroup, name: parsed.name };
}

function pick(source: Record<string, unknown>, fields: readonly string[]): Record<string, ConfigValue> {
  const kept: Record<string, ConfigValue> = {};
  for (const field of fields) {
    const value = source[field];
    if (value instanceof Date) kept[field] = value.toISOString();
    else if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
      kept[field] = value;
    else if (Array.isArray(value) && value.every((v) => typeof v === "string")) kept[field] = [...value];
  }
  return kept;
}

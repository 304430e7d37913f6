import { normalizeId, parseResourceId } from "../../src/shared/azure-ids.ts";
import { OpsError } from "../../src/shared/errors.ts";
import type {
  ConfigValue,
  SiteConfigReader,
  SiteConfiguration,
} from "../../src/shared/ports/site-config-reader.ts";

interface FakeSite {
  site: Record<string, ConfigValue>;
  config: Record<string, ConfigValue>;
  /** Values included, as Azure holds them: the fake must drop them as the adapter does. */
  appSettings: Record<string, string>;
}

/** Sites in memory; an unknown site is NotFound, as Resource Manager answers it. */
export class FakeSiteConfig implements SiteConfigReader {
  sites = new Map<string, FakeSite>();
  /** Makes listAppSettingNames fail (e.g. an identity without config/list/action). */
  appSettingsError: Error | undefined;
  configError: Error | undefined;

  add(siteId: string, site: Partial<FakeSite> = {}): this {
    this.sites.set(normalizeId(siteId), {
      site: { state: "Running", httpsOnly: true, kind: "app", ...site.site },
      config: {
        alwaysOn: true,
        minTlsVersion: "1.2",
        ftpsState: "Disabled",
        healthCheckPath: "/health",
        ...site.config,
      },
      appSettings: { ...site.appSettings },
    });
    return this;
  }

  async getSiteConfig(siteId: string): Promise<SiteConfiguration> {
    if (this.configError) throw this.configError;
    const found = this.find(siteId);
    return {
      siteId,
      name: parseResourceId(siteId).name,
      site: structuredClone(found.site),
      config: structuredClone(found.config),
    };
  }

  async listAppSettingNames(siteId: string): Promise<string[]> {
    if (this.appSettingsError) throw this.appSettingsError;
    return Object.keys(this.find(siteId).appSettings).sort((a, b) => a.localeCompare(b));
  }

  private find(siteId: string): FakeSite {
    const found = this.sites.get(normalizeId(siteId));
    if (!found) {
      const { name, resourceGroup } = parseResourceId(siteId);
      throw new OpsError(
        "NotFound",
        `site ${name} in resource group ${resourceGroup} was not found (ResourceNotFound)`,
        {
          details: { statusCode: 404, azureCode: "ResourceNotFound" },
        },
      );
    }
    return found;
  }
}

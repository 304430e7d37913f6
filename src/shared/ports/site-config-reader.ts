import type { CallOptions } from "./call-options.ts";

/** A configuration value as Resource Manager reports it; never a secret (see SiteConfiguration). */
export type ConfigValue = string | number | boolean | string[] | null;

/**
 * What a site is and how it is configured, from a fixed list of fields: the site's body (state, kind,
 * plan, httpsOnly, ...) and its `config/web` (runtime, alwaysOn, minTlsVersion, ftpsState, health
 * check path, ...). Fields that can carry secrets (connection strings, storage account keys,
 * publishing user names, app settings) are never among them.
 */
export interface SiteConfiguration {
  siteId: string;
  name: string;
  site: Readonly<Record<string, ConfigValue>>;
  config: Readonly<Record<string, ConfigValue>>;
}

/** Resource Manager reads of a web app's configuration; read-only. */
export interface SiteConfigReader {
  /** The site's configuration; NotFound when the site (or its resource group) does not exist. */
  getSiteConfig(siteId: string, options?: CallOptions): Promise<SiteConfiguration>;
  /**
   * The names of the site's app settings, sorted; their values are dropped where they are read and
   * never leave the adapter. NotFound when the site does not exist.
   */
  listAppSettingNames(siteId: string, options?: CallOptions): Promise<string[]>;
}

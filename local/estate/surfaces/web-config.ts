import type { EstateContext } from "../context.ts";
import { parentResourceId, parseResourceId } from "../model/ids.ts";
import type { ResourceRecord } from "../model/state.ts";
import { stableUuid } from "../signals/random.ts";
import { json } from "../server/replies.ts";
import type { EstateRequest, Reply, Route } from "../server/router.ts";
import { checkScope, requireApiVersion, resourceNotFound } from "./arm-resources.ts";
import { slotConfigNamesBody } from "./slot-swaps.ts";

/**
 * The Web provider's per-site configuration, which exists for every site and slot in Azure:
 * `config/web` (the site config `az webapp show` merges into its output), `config/appsettings/list`,
 * `config/slotConfigNames`, and `publishxml` (the publishing profiles `az webapp show` reads the FTP
 * URL from). The site config is the one the site's own body carries, so a later change to it shows
 * in both.
 */

const site = String.raw`/subscriptions/(?<subscriptionId>[^/]+)/resourceGroups/(?<resourceGroup>[^/]+)/providers/Microsoft\.Web/sites/[^/]+`;

function sitePath(suffix: string, slots: boolean): RegExp {
  return new RegExp(`^(?<siteId>${site}${slots ? "(?:/slots/[^/]+)?" : ""})/${suffix}$`, "i");
}

/** The site or slot a configuration call is about, or the 404 Resource Manager would give. */
function siteRecord(ctx: EstateContext, request: EstateRequest): ResourceRecord | Reply {
  const id = request.params["siteId"] ?? "";
  const parsed = parseResourceId(id);
  const scopeError = checkScope(ctx, {
    subscriptionId: request.params["subscriptionId"] ?? "",
    resourceGroup: request.params["resourceGroup"] ?? "",
    ...(parsed && parsed.types.length > 1
      ? { parentId: parentResourceId(id), childType: parsed.types.join("/") }
      : {}),
  });
  if (scopeError) return scopeError;
  return ctx.state.get(id) ?? resourceNotFound(id);
}

function isReply(value: ResourceRecord | Reply): value is Reply {
  return "status" in value;
}

/** `phoenix-web-prod` for the site, `phoenix-web-prod/staging` for a slot: ARM names configs after their site. */
function configName(record: ResourceRecord): string {
  return record.resource.name;
}

function configType(record: ResourceRecord): string {
  return `${record.resource.type}/config`;
}

function siteConfig(record: ResourceRecord): Record<string, unknown> {
  const config = record.resource.properties["siteConfig"];
  return config && typeof config === "object" ? (config as Record<string, unknown>) : {};
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The publishing profiles Azure returns (Web Deploy, FTP, Zip Deploy), with a stable local password. */
function publishProfiles(record: ResourceRecord): string {
  const parts = record.resource.name.split("/");
  const siteName = parts[0] ?? record.resource.name;
  const slot = parts[1];
  const host = slot ? `${siteName}-${slot}` : siteName;
  const user = `$${slot ? `${siteName}__${slot}` : siteName}`;
  const password = stableUuid(`publishing|${record.resource.id.toLowerCase()}`).replace(/-/g, "");
  const common = {
    userName: user,
    userPWD: password,
    destinationAppUrl: `https://${host}.azurewebsites.net`,
    SQLServerDBConnectionString: "",
    mySQLDBConnectionString: "",
    hostingProviderForumLink: "",
    controlPanelLink: "https://portal.azure.com",
    webSystem: "WebSites",
  };
  const profiles: Record<string, string>[] = [
    {
      profileName: `${host} - Web Deploy`,
      publishMethod: "MSDeploy",
      publishUrl: `${host}.scm.azurewebsites.net:443`,
      msdeploySite: host,
      ...common,
    },
    {
      profileName: `${host} - FTP`,
      publishMethod: "FTP",
      publishUrl: `ftps://waws-prod-am2-701.ftp.azurewebsites.windows.net/site/wwwroot`,
      ftpPassiveMode: "True",
      ...common,
      userName: `${host}\\${user}`,
    },
    {
      profileName: `${host} - Zip Deploy`,
      publishMethod: "ZipDeploy",
      publishUrl: `${host}.scm.azurewebsites.net:443`,
      ...common,
    },
  ];
  const body = profiles
    .map((p) => {
      const attributes = Object.entries(p)
        .map(([k, v]) => `${k}="${escapeXml(v)}"`)
        .join(" ");
      return `<publishProfile ${attributes}><databases /></publishProfile>`;
    })
    .join("");
  return `<publishData>${body}</publishData>`;
}

export function webConfigRoutes(ctx: EstateContext): Route[] {
  const withSite = (handle: (record: ResourceRecord, request: EstateRequest) => Reply) => {
    return (request: EstateRequest): Reply => {
      const missingVersion = requireApiVersion(request);
      if (missingVersion) return missingVersion;
      const record = siteRecord(ctx, request);
      return isReply(record) ? record : handle(record, request);
    };
  };
  return [
    {
      method: "GET",
      path: sitePath("config/web", true),
      access: "token",
      armRead: true,
      name: "arm.get:microsoft.web/sites/config",
      handle: withSite((record) =>
        json({
          id: `${record.resource.id}/config/web`,
          name: configName(record),
          type: configType(record),
          location: record.resource.location,
          properties: siteConfig(record),
        }),
      ),
    },
    {
      method: "POST",
      path: sitePath("config/appsettings/list", true),
      access: "token",
      armRead: true,
      name: "arm.list:microsoft.web/sites/config/appsettings",
      handle: withSite((record) =>
        json({
          id: `${record.resource.id}/config/appsettings`,
          name: "appsettings",
          type: configType(record),
          location: record.resource.location,
          properties: { ...record.appSettings },
        }),
      ),
    },
    {
      method: "GET",
      path: sitePath("config/slotConfigNames", false),
      access: "token",
      armRead: true,
      name: "arm.get:microsoft.web/sites/config/slotconfignames",
      handle: withSite((record) => json(slotConfigNamesBody(record))),
    },
    {
      method: "POST",
      path: sitePath("publishxml", true),
      access: "token",
      armRead: true,
      name: "arm.post:microsoft.web/sites/publishxml",
      handle: withSite((record) => ({
        status: 200,
        headers: { "Content-Type": "application/xml" },
        text: publishProfiles(record),
      })),
    },
  ];
}

import type { ArmResource } from "./state.ts";

/**
 * Resource bodies in the shapes of the official REST examples (test/fixtures/azure/arm/): the Web
 * provider's GetWebApp / GetWebAppSlot / GetAppServicePlan, and the published Get shapes of SQL,
 * Key Vault, Recovery Services and Log Analytics. The Web provider reports `location` as a display
 * name ("West Europe"); the others use the short region name ("westeurope"), as the real providers do.
 */

const displayRegions: Record<string, string> = {
  westeurope: "West Europe",
  northeurope: "North Europe",
  eastus: "East US",
};

export function regionDisplayName(region: string): string {
  return displayRegions[region] ?? region;
}

function rgId(subscriptionId: string, resourceGroup: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
}

export interface PlanSku {
  name: string;
  tier: string;
  size: string;
  family: string;
  capacity: number;
}

/** P1v3, the guide's production plan size before an emergency scale. */
export const p1v3: PlanSku = { name: "P1v3", tier: "PremiumV3", size: "P1v3", family: "Pv3", capacity: 1 };

export function appServicePlan(input: {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  region: string;
  sku: PlanSku;
  numberOfSites: number;
}): ArmResource {
  return {
    id: `${rgId(input.subscriptionId, input.resourceGroup)}/providers/Microsoft.Web/serverfarms/${input.name}`,
    name: input.name,
    type: "Microsoft.Web/serverfarms",
    kind: "app",
    location: regionDisplayName(input.region),
    properties: {
      status: "Ready",
      maximumNumberOfWorkers: 30,
      numberOfWorkers: input.sku.capacity,
      geoRegion: regionDisplayName(input.region),
      numberOfSites: input.numberOfSites,
      isSpot: false,
      reserved: false,
      targetWorkerCount: 0,
      targetWorkerSizeId: 0,
      provisioningState: "Succeeded",
    },
    sku: { ...input.sku },
  };
}

function siteConfig(): Record<string, unknown> {
  return {
    numberOfWorkers: 1,
    defaultDocuments: ["Default.htm", "Default.html", "index.html", "hostingstart.html"],
    netFrameworkVersion: "v4.0",
    phpVersion: "",
    pythonVersion: "",
    nodeVersion: "~20",
    powerShellVersion: "",
    linuxFxVersion: "",
    requestTracingEnabled: false,
    remoteDebuggingEnabled: false,
    httpLoggingEnabled: true,
    acrUseManagedIdentityCreds: false,
    logsDirectorySizeLimit: 35,
    detailedErrorLoggingEnabled: false,
    use32BitWorkerProcess: false,
    webSocketsEnabled: false,
    alwaysOn: true,
    appCommandLine: "",
    managedPipelineMode: "Integrated",
    virtualApplications: [{ virtualPath: "/", physicalPath: "site\\wwwroot", preloadEnabled: true }],
    loadBalancing: "LeastRequests",
    autoHealEnabled: false,
    vnetName: "",
    vnetRouteAllEnabled: false,
    vnetPrivatePortsCount: 0,
    http20Enabled: true,
    minTlsVersion: "1.2",
    scmMinTlsVersion: "1.2",
    ftpsState: "Disabled",
    healthCheckPath: "/health",
    functionAppScaleLimit: 0,
    functionsRuntimeScaleMonitoringEnabled: false,
    minimumElasticInstanceCount: 0,
    azureStorageAccounts: {},
  };
}

function siteProperties(input: {
  subscriptionId: string;
  resourceGroup: string;
  repositorySiteName: string;
  hostName: string;
  planId: string;
}): Record<string, unknown> {
  const scmHost = input.hostName.replace(".azurewebsites.net", ".scm.azurewebsites.net");
  return {
    state: "Running",
    hostNames: [input.hostName],
    repositorySiteName: input.repositorySiteName,
    usageState: "Normal",
    enabled: true,
    enabledHostNames: [input.hostName, scmHost],
    availabilityState: "Normal",
    hostNameSslStates: [
      { name: input.hostName, sslState: "Disabled", hostType: "Standard" },
      { name: scmHost, sslState: "Disabled", hostType: "Repository" },
    ],
    serverFarmId: input.planId,
    reserved: false,
    isXenon: false,
    hyperV: false,
    lastModifiedTimeUtc: "2025-01-06T06:00:00.000Z",
    vnetRouteAllEnabled: false,
    vnetImagePullEnabled: false,
    vnetContentShareEnabled: false,
    siteConfig: siteConfig(),
    scmSiteAlsoStopped: false,
    clientAffinityEnabled: false,
    clientCertEnabled: false,
    clientCertMode: "Required",
    hostNamesDisabled: false,
    customDomainVerificationId: "7F3BB652450EF7AD0B6AA33064586E4A9CE823A46DF0B2EC6443A68086E84153",
    outboundIpAddresses: "20.105.232.10,20.105.232.11",
    possibleOutboundIpAddresses: "20.105.232.10,20.105.232.11,20.105.232.12,20.105.232.13",
    containerSize: 0,
    dailyMemoryTimeQuota: 0,
    resourceGroup: input.resourceGroup,
    defaultHostName: input.hostName,
    httpsOnly: true,
    redundancyMode: "None",
    storageAccountRequired: false,
    keyVaultReferenceIdentity: "SystemAssigned",
  };
}

export function webSite(input: {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  region: string;
  planId: string;
  tags?: Record<string, string>;
}): ArmResource {
  return {
    id: `${rgId(input.subscriptionId, input.resourceGroup)}/providers/Microsoft.Web/sites/${input.name}`,
    name: input.name,
    type: "Microsoft.Web/sites",
    kind: "app",
    location: regionDisplayName(input.region),
    ...(input.tags ? { tags: input.tags } : {}),
    properties: {
      ...siteProperties({
        subscriptionId: input.subscriptionId,
        resourceGroup: input.resourceGroup,
        repositorySiteName: input.name,
        hostName: `${input.name}.azurewebsites.net`,
        planId: input.planId,
      }),
      resourceConfig: { cpu: 1.0, memory: "2.0Gi" },
    },
  };
}

export function webSiteSlot(
  site: ArmResource,
  slot: string,
  subscriptionId: string,
  resourceGroup: string,
): ArmResource {
  const planId = site.properties["serverFarmId"];
  return {
    id: `${site.id}/slots/${slot}`,
    name: `${site.name}/${slot}`,
    type: "Microsoft.Web/sites/slots",
    kind: site.kind ?? "app",
    location: site.location,
    properties: siteProperties({
      subscriptionId,
      resourceGroup,
      repositorySiteName: site.name,
      hostName: `${site.name}-${slot}.azurewebsites.net`,
      planId: typeof planId === "string" ? planId : "",
    }),
  };
}

export function sqlServer(input: {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  region: string;
}): ArmResource {
  return {
    id: `${rgId(input.subscriptionId, input.resourceGroup)}/providers/Microsoft.Sql/servers/${input.name}`,
    name: input.name,
    type: "Microsoft.Sql/servers",
    kind: "v12.0",
    location: input.region,
    tags: {},
    properties: {
      administratorLogin: "phoenixadmin",
      version: "12.0",
      state: "Ready",
      fullyQualifiedDomainName: `${input.name}.database.windows.net`,
      privateEndpointConnections: [],
      minimalTlsVersion: "1.2",
      publicNetworkAccess: "Disabled",
      restrictOutboundNetworkAccess: "Disabled",
    },
  };
}

export function sqlDatabase(input: {
  subscriptionId: string;
  resourceGroup: string;
  server: string;
  name: string;
  region: string;
  databaseId: string;
}): ArmResource {
  const sku = { name: "GP_Gen5", tier: "GeneralPurpose", family: "Gen5", capacity: 2 };
  return {
    id: `${rgId(input.subscriptionId, input.resourceGroup)}/providers/Microsoft.Sql/servers/${input.server}/databases/${input.name}`,
    name: input.name,
    type: "Microsoft.Sql/servers/databases",
    kind: "v12.0,user,vcore",
    location: input.region,
    tags: {},
    sku,
    properties: {
      collation: "SQL_Latin1_General_CP1_CI_AS",
      maxSizeBytes: 34359738368,
      status: "Online",
      databaseId: input.databaseId,
      creationDate: "2024-11-04T09:12:44.503Z",
      currentServiceObjectiveName: "GP_Gen5_2",
      requestedServiceObjectiveName: "GP_Gen5_2",
      defaultSecondaryLocation: "northeurope",
      catalogCollation: "SQL_Latin1_General_CP1_CI_AS",
      zoneRedundant: false,
      licenseType: "LicenseIncluded",
      maxLogSizeBytes: 68719476736,
      earliestRestoreDate: "2025-01-01T00:00:00Z",
      readScale: "Disabled",
      currentSku: { ...sku },
      currentBackupStorageRedundancy: "Geo",
      requestedBackupStorageRedundancy: "Geo",
      maintenanceConfigurationId: `/subscriptions/${input.subscriptionId}/providers/Microsoft.Maintenance/publicMaintenanceConfigurations/SQL_Default`,
      isLedgerOn: false,
      isInfraEncryptionEnabled: false,
    },
  };
}

export function keyVault(input: {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  region: string;
  tenantId: string;
  vaultUri: string;
}): ArmResource {
  return {
    id: `${rgId(input.subscriptionId, input.resourceGroup)}/providers/Microsoft.KeyVault/vaults/${input.name}`,
    name: input.name,
    type: "Microsoft.KeyVault/vaults",
    location: input.region,
    tags: {},
    properties: {
      sku: { family: "A", name: "standard" },
      tenantId: input.tenantId,
      accessPolicies: [],
      enabledForDeployment: false,
      enabledForDiskEncryption: false,
      enabledForTemplateDeployment: false,
      enableSoftDelete: true,
      softDeleteRetentionInDays: 90,
      enableRbacAuthorization: true,
      enablePurgeProtection: true,
      vaultUri: input.vaultUri,
      provisioningState: "Succeeded",
      publicNetworkAccess: "Enabled",
    },
  };
}

export function recoveryServicesVault(input: {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  region: string;
}): ArmResource {
  return {
    id: `${rgId(input.subscriptionId, input.resourceGroup)}/providers/Microsoft.RecoveryServices/vaults/${input.name}`,
    name: input.name,
    type: "Microsoft.RecoveryServices/vaults",
    location: input.region,
    tags: {},
    sku: { name: "Standard" },
    properties: {
      provisioningState: "Succeeded",
      privateEndpointStateForBackup: "None",
      privateEndpointStateForSiteRecovery: "None",
      publicNetworkAccess: "Enabled",
      redundancySettings: { standardTierStorageRedundancy: "GeoRedundant", crossRegionRestore: "Disabled" },
    },
  };
}

export function logAnalyticsWorkspace(input: {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  region: string;
  customerId: string;
}): ArmResource {
  return {
    id: `${rgId(input.subscriptionId, input.resourceGroup)}/providers/Microsoft.OperationalInsights/workspaces/${input.name}`,
    name: input.name,
    type: "Microsoft.OperationalInsights/workspaces",
    location: input.region,
    tags: {},
    properties: {
      provisioningState: "Succeeded",
      customerId: input.customerId,
      sku: { name: "PerGB2018" },
      retentionInDays: 30,
      features: { enableLogAccessUsingOnlyResourcePermissions: true },
      workspaceCapping: { dailyQuotaGb: -1 },
      publicNetworkAccessForIngestion: "Enabled",
      publicNetworkAccessForQuery: "Enabled",
    },
  };
}

export interface AutoscaleCapacity {
  minimum: number;
  maximum: number;
  default: number;
}

/**
 * An autoscale setting (Microsoft.Insights/autoscalesettings) in the shape of the official
 * AutoscaleSettings_Get example, with one profile that scales its target out and in on CPU, as the
 * portal's "Scale out" blade creates for an App Service plan.
 */
export function autoscaleSetting(input: {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  region: string;
  targetResourceUri: string;
  capacity: AutoscaleCapacity;
  enabled: boolean;
}): ArmResource {
  const cpuRule = (direction: "Increase" | "Decrease", operator: string, threshold: number) => ({
    metricTrigger: {
      metricName: "CpuPercentage",
      metricNamespace: "microsoft.web/serverfarms",
      metricResourceUri: input.targetResourceUri,
      timeGrain: "PT1M",
      statistic: "Average",
      timeWindow: "PT10M",
      timeAggregation: "Average",
      operator,
      threshold,
      dividePerInstance: false,
    },
    scaleAction: { direction, type: "ChangeCount", value: "1", cooldown: "PT5M" },
  });
  return {
    id: `${rgId(input.subscriptionId, input.resourceGroup)}/providers/microsoft.insights/autoscalesettings/${input.name}`,
    name: input.name,
    type: "Microsoft.Insights/autoscaleSettings",
    location: regionDisplayName(input.region),
    tags: {},
    properties: {
      profiles: [
        {
          name: "Auto created scale condition",
          capacity: {
            minimum: String(input.capacity.minimum),
            maximum: String(input.capacity.maximum),
            default: String(input.capacity.default),
          },
          rules: [cpuRule("Increase", "GreaterThan", 70), cpuRule("Decrease", "LessThan", 30)],
        },
      ],
      enabled: input.enabled,
      notifications: [],
      predictiveAutoscalePolicy: { scaleMode: "Disabled" },
      name: input.name,
      targetResourceUri: input.targetResourceUri,
      targetResourceLocation: input.region,
    },
  };
}

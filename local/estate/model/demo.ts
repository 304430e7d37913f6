/**
 * The seeded demo estate: environment `prod` of the operations guide, with the names the ops policy
 * (config/ops-policy.json) and the tests refer to.
 */

export const demoTenantId = "7d0c5b2a-9e4f-4a1b-8c3d-2e5f6a7b8c9d";

export const demo = {
  environment: "prod",
  subscriptionId: "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f",
  subscriptionName: "Phoenix VC Production",
  resourceGroup: "rg-phoenix-prod",
  region: "westeurope",
  recipients: ["ops@phoenixvc.tech"],
  plan: "asp-phoenix-prod",
  webSite: "phoenix-web-prod",
  apiSite: "phoenix-api-prod",
  stagingSlot: "staging",
  /** The demo web app's release in production, and the one deployed to staging. */
  liveVersion: "2.3.1",
  stagedVersion: "2.4.0",
  sqlServer: "sql-phoenix-prod",
  database: "phoenixdb",
  keyVault: "kv-phoenix-prod",
  recoveryVault: "rsv-phoenix-prod",
  /** The VM running SQL Server whose database the vault protects (and the VM itself). */
  sqlVm: "sqlvm-phoenix-prod",
  sqlVmDatabase: "phoenixledger",
  workspace: "log-phoenix-prod",
  workspaceId: "3b5e8f7a-1c2d-4e6f-9a0b-1c2d3e4f5a6b",
} as const;

const rg = `/subscriptions/${demo.subscriptionId}/resourceGroups/${demo.resourceGroup}`;

export const demoIds = {
  resourceGroup: rg,
  plan: `${rg}/providers/Microsoft.Web/serverfarms/${demo.plan}`,
  webSite: `${rg}/providers/Microsoft.Web/sites/${demo.webSite}`,
  apiSite: `${rg}/providers/Microsoft.Web/sites/${demo.apiSite}`,
  stagingSlot: `${rg}/providers/Microsoft.Web/sites/${demo.webSite}/slots/${demo.stagingSlot}`,
  sqlServer: `${rg}/providers/Microsoft.Sql/servers/${demo.sqlServer}`,
  database: `${rg}/providers/Microsoft.Sql/servers/${demo.sqlServer}/databases/${demo.database}`,
  keyVault: `${rg}/providers/Microsoft.KeyVault/vaults/${demo.keyVault}`,
  recoveryVault: `${rg}/providers/Microsoft.RecoveryServices/vaults/${demo.recoveryVault}`,
  sqlVm: `${rg}/providers/Microsoft.Compute/virtualMachines/${demo.sqlVm}`,
  workspace: `${rg}/providers/Microsoft.OperationalInsights/workspaces/${demo.workspace}`,
} as const;

/** Where the estate serves a site's health endpoint (no DNS on loopback, so sites live under a path). */
export function siteHealthUrl(estateUrl: string, siteName: string): string {
  return `${estateUrl}/_sites/${siteName}/health`;
}

/** Where a vault's data plane will be served; vaultUri in the vault's ARM body points here. */
export function vaultDataPlaneUrl(estateUrl: string, vaultName: string): string {
  return `${estateUrl}/_vaults/${vaultName}/`;
}

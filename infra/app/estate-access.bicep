// What the app may do to the estate it watches: one role assignment per need, at the narrowest scope the
// ops policy lets us know, each scope read from the policy (config/ops-policy.json). The README's
// "Roles" table lists them with the procedures that need them; test/infra/operations.test.ts checks
// that they cover every Azure operation the adapters perform (infra/azure-operations.json).
targetScope = 'subscription'

import { roles } from 'role-ids.bicep'

param policy object
param principalId string
@description('Key Vaults whose secrets the rotation procedure rotates (resource ids).')
param watchedKeyVaultIds array

var environments = items(policy.environments)
var subscriptionIds = union(map(environments, e => e.value.subscriptionId), [])

// A resource id: /subscriptions/{s}/resourceGroups/{g}/providers/{namespace}/{type}/{name}
func target(id string, kind string) object => {
  subscriptionId: split(id, '/')[2]
  resourceGroup: split(id, '/')[4]
  name: last(split(id, '/'))
  kind: kind
}

var siteIds = union(
  flatten(map(environments, e => map(filter(items(e.value.components), c => contains(['webapp', 'api'], c.value.kind)), c => c.value.resourceId))),
  []
)
var planIds = union(flatten(map(environments, e => contains(e.value, 'appServicePlan') ? [e.value.appServicePlan] : [])), [])
// Autoscale settings are edited only for environments that scale; they live in the plan's group.
var scaledPlanIds = union(
  flatten(map(environments, e => contains(e.value, 'appServicePlan') && contains(e.value, 'scaling') ? [e.value.appServicePlan] : [])),
  []
)
var recoveryVaultIds = union(flatten(map(environments, e => e.value.?backups.?vaults ?? [])), [])
var workspaces = flatten(map(
  environments,
  e => contains(e.value, 'logAnalyticsWorkspaceName')
    ? [{ subscriptionId: e.value.subscriptionId, resourceGroup: e.value.resourceGroup, name: e.value.logAnalyticsWorkspaceName, kind: 'workspace' }]
    : []
))

var subscriptionRoles = [
  { role: roles.MonitoringReader, need: 'metrics (metrics:getBatch needs it at the subscription), metric definitions' }
  { role: roles.Reader, need: 'inventory of sites and databases, role assignments and policy states (access review, audit)' }
  { role: roles.SecurityReader, need: 'security assessments (security scan, compliance check)' }
]

var resourceRoles = concat(
  map(siteIds, id => union(target(id, 'site'), { role: roles.WebsiteContributor, need: 'slot swaps, rollbacks and app settings of the web apps (maintenance, emergency rollback)' })),
  map(planIds, id => union(target(id, 'plan'), { role: roles.WebPlanContributor, need: 'emergency scaling of the plan (SKU and instance count)' })),
  map(scaledPlanIds, id => union(target(id, 'resourceGroup'), { role: roles.MonitoringContributor, need: 'autoscale settings of the plan (raise the minimum during emergency scaling)' })),
  map(workspaces, w => union(w, { role: roles.LogAnalyticsReader, need: 'log queries (logs query, diagnostics, incidents)' })),
  map(recoveryVaultIds, id => union(target(id, 'recoveryVault'), { role: roles.BackupReader, need: 'backup jobs and protected items (backup verify, backup job list)' })),
  map(recoveryVaultIds, id => union(target(id, 'recoveryVault'), { role: roles.BackupOperator, need: 'on-demand backups (backup protection backup-now)' })),
  map(watchedKeyVaultIds, id => union(target(id, 'keyVault'), { role: roles.KeyVaultSecretsOfficer, need: 'secret rotation and deleted-item review (rotate-credentials, access-review)' }))
)

module onSubscriptions 'subscription-role.bicep' = [
  for a in flatten(map(subscriptionIds, s => map(subscriptionRoles, r => union(r, { subscriptionId: s })))): {
    name: 'role-${uniqueString(a.subscriptionId, a.role)}'
    scope: subscription(a.subscriptionId)
    params: {
      principalId: principalId
      roleDefinitionId: a.role
      need: a.need
    }
  }
]

module onResources 'resource-role.bicep' = [
  for a in resourceRoles: {
    name: 'role-${uniqueString(a.subscriptionId, a.resourceGroup, a.kind, a.name, a.role)}'
    scope: resourceGroup(a.subscriptionId, a.resourceGroup)
    params: {
      kind: a.kind
      resourceName: a.name
      principalId: principalId
      roleDefinitionId: a.role
      need: a.need
    }
  }
]

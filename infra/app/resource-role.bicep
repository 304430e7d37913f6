// One role assignment on one resource (or its resource group) of the estate, deployed into that
// resource's group. Named with a deterministic guid of scope, principal and role, so a second
// deployment changes nothing.
@allowed(['site', 'plan', 'recoveryVault', 'keyVault', 'workspace', 'resourceGroup'])
param kind string
@description('The resource\'s name (ignored for a resource group).')
param resourceName string = ''
param principalId string
param roleDefinitionId string
param need string

var roleId = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionId)
var properties = {
  principalId: principalId
  principalType: 'ServicePrincipal'
  roleDefinitionId: roleId
  description: 'Phoenix Ops: ${need}'
}

resource site 'Microsoft.Web/sites@2024-04-01' existing = if (kind == 'site') {
  name: resourceName
}
resource plan 'Microsoft.Web/serverfarms@2024-04-01' existing = if (kind == 'plan') {
  name: resourceName
}
resource recoveryVault 'Microsoft.RecoveryServices/vaults@2024-04-01' existing = if (kind == 'recoveryVault') {
  name: resourceName
}
resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = if (kind == 'keyVault') {
  name: resourceName
}
resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = if (kind == 'workspace') {
  name: resourceName
}

resource onSite 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (kind == 'site') {
  name: guid(site.id, principalId, roleDefinitionId)
  scope: site
  properties: properties
}
resource onPlan 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (kind == 'plan') {
  name: guid(plan.id, principalId, roleDefinitionId)
  scope: plan
  properties: properties
}
resource onRecoveryVault 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (kind == 'recoveryVault') {
  name: guid(recoveryVault.id, principalId, roleDefinitionId)
  scope: recoveryVault
  properties: properties
}
resource onKeyVault 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (kind == 'keyVault') {
  name: guid(keyVault.id, principalId, roleDefinitionId)
  scope: keyVault
  properties: properties
}
resource onWorkspace 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (kind == 'workspace') {
  name: guid(workspace.id, principalId, roleDefinitionId)
  scope: workspace
  properties: properties
}
resource onResourceGroup 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (kind == 'resourceGroup') {
  name: guid(resourceGroup().id, principalId, roleDefinitionId)
  properties: properties
}

// Phoenix Ops in one subscription: `azd up` (or `az deployment sub create`, see the README's "Deploy to
// Azure"). The estate the app watches and changes is read from the ops policy (config/ops-policy.json),
// the same file the app runs with: its environments give the role assignments' scopes, its alertRules
// the metric alerts. Local modules only, so that `bicep build` works with no network.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; part of every resource name.')
param environmentName string

@minLength(1)
@description('Region of the app and its resources.')
param location string

@description('Object id of the person deploying (azd sets it): given access to the app\'s Key Vault secrets.')
param principalId string = ''

@description('Client id of the app\'s Entra ID application (Ops.Reader, Ops.Operator, ActionGroupsSecureWebhook); empty until it is registered.')
param apiClientId string = ''

@description('Object id of that application: the action group\'s secure webhook names it.')
param apiObjectId string = ''

@description('Application ID URI of that application.')
param apiIdentifierUri string = 'api://phoenix-ops'

@description('Key Vaults whose secrets the rotation procedure rotates (resource ids).')
param watchedKeyVaultIds array = []

@description('Sender address of the app\'s email (DoNotReply at the Azure-managed domain when empty).')
param emailSenderUserName string = 'DoNotReply'

var policy = loadJsonContent('../config/ops-policy.json')
var abbrs = {
  resourceGroup: 'rg-'
  identity: 'id-'
  storage: 'st'
  plan: 'plan-'
  functionApp: 'func-'
  logAnalytics: 'log-'
  appInsights: 'appi-'
  communication: 'acs-'
  emailService: 'ecs-'
  keyVault: 'kv-'
  actionGroup: 'ag-'
}
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var appName = '${abbrs.functionApp}phoenix-ops-${resourceToken}'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: '${abbrs.resourceGroup}phoenix-ops-${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.identity}phoenix-ops-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storage}${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: 'app-package'
    principalId: identity.outputs.principalId
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.logAnalytics}phoenix-ops-${resourceToken}'
    appInsightsName: '${abbrs.appInsights}phoenix-ops-${resourceToken}'
    location: location
    tags: tags
    principalId: identity.outputs.principalId
  }
}

module communication 'app/communication.bicep' = {
  name: 'communication'
  scope: rg
  params: {
    communicationName: '${abbrs.communication}phoenix-ops-${resourceToken}'
    emailServiceName: '${abbrs.emailService}phoenix-ops-${resourceToken}'
    senderUserName: emailSenderUserName
    tags: tags
    principalId: identity.outputs.principalId
  }
}

module keyVault 'app/key-vault.bicep' = {
  name: 'key-vault'
  scope: rg
  params: {
    name: '${abbrs.keyVault}${resourceToken}'
    location: location
    tags: tags
    principalId: identity.outputs.principalId
    deployerPrincipalId: principalId
  }
}

module app 'app/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    name: appName
    planName: '${abbrs.plan}phoenix-ops-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    appInsightsConnectionString: monitoring.outputs.connectionString
    emailEndpoint: communication.outputs.endpoint
    emailSender: communication.outputs.senderAddress
    apiClientId: apiClientId
    apiIdentifierUri: apiIdentifierUri
    requireAlertToken: !empty(apiObjectId)
  }
}

module estateAccess 'app/estate-access.bicep' = {
  name: 'estate-access'
  params: {
    policy: policy
    principalId: identity.outputs.principalId
    watchedKeyVaultIds: watchedKeyVaultIds
  }
}

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  params: {
    policy: policy
    appResourceGroupName: rg.name
    actionGroupName: '${abbrs.actionGroup}phoenix-ops-${resourceToken}'
    functionAppName: app.outputs.name
    apiObjectId: apiObjectId
    apiIdentifierUri: apiIdentifierUri
    tags: tags
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = app.outputs.name
output AZURE_FUNCTION_URI string = app.outputs.uri
output AZURE_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.appInsightsName

// The app: Flex Consumption (FC1), Node 22, the user-assigned identity for everything, the package
// deployed from a blob container with that identity. App settings: the keys of the app's settings
// schema (src/shared/config/settings.ts) and the host's own; test/infra/settings.test.ts checks them.
// No connection string or key: storage, Application Insights and email are reached with the identity.
param name string
param planName string
param location string
param tags object
param identityId string
param identityClientId string
param storageAccountName string
param deploymentContainerUrl string
param appInsightsConnectionString string
param emailEndpoint string
param emailSender string
param apiClientId string
param apiIdentifierUri string
param requireAlertToken bool
param maximumInstanceCount int = 40
param instanceMemoryMB int = 2048

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'app' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: { name: 'node', version: '22' }
    }
  }

  resource settings 'config' = {
    name: 'appsettings'
    properties: {
      // The Functions host: identity-based storage.
      AzureWebJobsStorage__accountName: storageAccountName
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      // Application Insights through OpenTelemetry, signing in with the identity (local auth is off).
      APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
      // The app (src/shared/config/settings.ts); every other key has its documented default there.
      PHOENIX_CREDENTIAL: 'managed-identity'
      AZURE_CLIENT_ID: identityClientId
      PHOENIX_POLICY_PATH: 'config/ops-policy.json'
      PHOENIX_EMAIL_ENDPOINT: emailEndpoint
      PHOENIX_EMAIL_SENDER: emailSender
      PHOENIX_AUTH_TENANT_ID: tenant().tenantId
      PHOENIX_AUTH_AUDIENCES: empty(apiClientId) ? apiIdentifierUri : '${apiIdentifierUri},${apiClientId}'
      PHOENIX_ALERTS_REQUIRE_TOKEN: requireAlertToken ? 'true' : 'false'
      PHOENIX_ALERTS_TOKEN_ROLE: 'ActionGroupsSecureWebhook'
      PHOENIX_TELEMETRY: 'azure-monitor'
    }
  }
}

output name string = site.name
output id string = site.id
output uri string = 'https://${site.properties.defaultHostName}'

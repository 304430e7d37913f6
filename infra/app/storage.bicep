// The app's own storage account: the Functions host's storage, the app's state (tables, queues, blobs)
// and the deployment package. No shared key: every client signs in with the app's identity.
import { roles } from 'role-ids.bicep'

param name string
param location string
param tags object
param deploymentContainerName string
@description('The app\'s identity.')
param principalId string

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
  }

  resource blobs 'blobServices' = {
    name: 'default'
    resource deployment 'containers' = {
      name: deploymentContainerName
    }
  }
}

// The host keeps its leases and keys in blobs (Owner, as for every Functions app on identity-based
// storage); the app's queues and tables are its state and its deferred work.
var storageRoles = [
  { role: roles.StorageBlobDataOwner, need: 'host storage, deployment package, reports and diagnostics blobs' }
  { role: roles.StorageQueueDataContributor, need: 'queue triggers and the app\'s deferred work' }
  { role: roles.StorageTableDataContributor, need: 'runs, incidents, changes, claims, leases (Table storage)' }
]

resource assignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for r in storageRoles: {
    name: guid(storage.id, principalId, r.role)
    scope: storage
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', r.role)
      description: 'Phoenix Ops: ${r.need}'
    }
  }
]

output name string = storage.name
output deploymentContainerUrl string = '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'

param vaultName string
param location string
param functionId string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

resource topic 'Microsoft.EventGrid/systemTopics@2023-12-15-preview' = {
  name: 'evgt-${vaultName}'
  location: location
  properties: {
    source: vault.id
    topicType: 'Microsoft.KeyVault.vaults'
  }

  resource rotation 'eventSubscriptions' = {
    name: 'phoenix-ops-rotation'
    properties: {
      destination: {
        endpointType: 'AzureFunction'
        properties: {
          resourceId: functionId
          maxEventsPerBatch: 1
        }
      }
      filter: {
        includedEventTypes: ['Microsoft.KeyVault.SecretNearExpiry']
      }
      eventDeliverySchema: 'EventGridSchema'
      retryPolicy: {
        maxDeliveryAttempts: 30
        eventTimeToLiveInMinutes: 1440
      }
    }
  }
}

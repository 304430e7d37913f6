param name string
param functionAppName string
param apiObjectId string
param apiIdentifierUri string
param recipients array
param tags object

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

// The function key is read at deployment and goes only into the action group's receiver, as Azure
// Monitor needs it; it is in no app setting and no output.
var alertsUrl = 'https://${site.properties.defaultHostName}/api/alerts?code=${listKeys('${site.id}/host/default', '2024-04-01').functionKeys.default}'

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: name
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'phoenixops'
    enabled: true
    webhookReceivers: [
      {
        name: 'phoenix-ops-alerts'
        serviceUri: alertsUrl
        useCommonAlertSchema: true
        useAadAuth: !empty(apiObjectId)
        objectId: empty(apiObjectId) ? null : apiObjectId
        identifierUri: empty(apiObjectId) ? null : apiIdentifierUri
        tenantId: empty(apiObjectId) ? null : tenant().tenantId
      }
    ]
    emailReceivers: [
      for (address, i) in recipients: {
        name: 'email-${i}'
        emailAddress: address
        useCommonAlertSchema: true
      }
    ]
  }
}

output id string = actionGroup.id

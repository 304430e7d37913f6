// Communication Services with an Azure-managed email domain: the app's notifications. The app sends with
// its identity; the role is a custom one with what sending needs, not Contributor.
param communicationName string
param emailServiceName string
param senderUserName string
param tags object
param principalId string

@description('Where the data is kept (Communication Services\' own list of data locations).')
param dataLocation string = 'Europe'

resource emailService 'Microsoft.Communication/emailServices@2023-04-01' = {
  name: emailServiceName
  location: 'global'
  tags: tags
  properties: { dataLocation: dataLocation }

  resource domain 'domains' = {
    name: 'AzureManagedDomain'
    location: 'global'
    properties: {
      domainManagement: 'AzureManaged'
      userEngagementTracking: 'Disabled'
    }

    resource sender 'senderUsernames' = {
      name: toLower(senderUserName)
      properties: {
        username: senderUserName
        displayName: 'Phoenix Ops'
      }
    }
  }
}

resource communication 'Microsoft.Communication/communicationServices@2023-04-01' = {
  name: communicationName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
    linkedDomains: [emailService::domain.id]
  }
}

resource emailSenderRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'phoenix-ops-email-sender')
  properties: {
    roleName: 'Phoenix Ops Email Sender (${resourceGroup().name})'
    description: 'Send email through Communication Services with Entra ID.'
    type: 'CustomRole'
    assignableScopes: [resourceGroup().id]
    permissions: [
      {
        actions: [
          'Microsoft.Communication/CommunicationServices/Read'
          'Microsoft.Communication/EmailServices/write'
        ]
        notActions: []
      }
    ]
  }
}

resource emailSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(communication.id, principalId, emailSenderRole.id)
  scope: communication
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: emailSenderRole.id
    description: 'Phoenix Ops: notification email (health checks, incidents, changes)'
  }
}

output endpoint string = 'https://${communication.properties.hostName}'
output senderAddress string = '${senderUserName}@${emailService::domain.properties.mailFromSenderDomain}'

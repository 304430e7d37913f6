// One role assignment on a subscription of the estate.
targetScope = 'subscription'

param principalId string
param roleDefinitionId string
param need string

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, roleDefinitionId)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionId)
    description: 'Phoenix Ops: ${need}'
  }
}

// The app's one identity: host storage, state, deployment, Azure Monitor, Log Analytics, Key Vault,
// Communication Services and Graph all see this user-assigned managed identity.
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId

// The second step, after the code is deployed (Event Grid validates a function endpoint only once the
// function exists): an Event Grid system topic on each watched Key Vault, with a subscription that
// delivers Microsoft.KeyVault.SecretNearExpiry to the rotation function. The README's "Deploy to Azure"
// gives the command; `azd up` runs it from the postdeploy hook when the vaults are set.
targetScope = 'subscription'

@description('Resource id of the deployed function app.')
param functionAppId string
@description('The Event Grid triggered function that rotates a secret near expiry.')
param functionName string = 'rotate-credentials-event'
@description('Key Vaults whose secrets the rotation procedure rotates (resource ids).')
param watchedKeyVaultIds array

module vaultEvents 'vault-events.bicep' = [
  for id in watchedKeyVaultIds: {
    name: 'events-${uniqueString(id)}'
    scope: resourceGroup(split(id, '/')[2], split(id, '/')[4])
    params: {
      vaultName: last(split(id, '/'))
      functionId: '${functionAppId}/functions/${functionName}'
    }
  }
]

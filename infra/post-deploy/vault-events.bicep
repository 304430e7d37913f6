// A vault's system topic must be in the vault's region, which is known only once the deployment runs:
// a module takes it as a parameter.
param vaultName string
param functionId string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

module topic 'vault-topic.bicep' = {
  name: 'topic-${vaultName}'
  params: {
    vaultName: vault.name
    location: vault.location
    functionId: functionId
  }
}

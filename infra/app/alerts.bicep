// The alerts that drive the app, generated from the ops policy's alertRules (one source): an action group
// with a secure webhook to /api/alerts (Entra ID token for the app's ActionGroupsSecureWebhook role, plus
// the function key) and each rule's email recipients, and one metric alert per metric rule on its
// target (the environment's plan, or one of its components), in the target's resource group.
targetScope = 'subscription'

param policy object
param appResourceGroupName string
param actionGroupName string
param functionAppName string
@description('Object id of the app\'s Entra ID application; empty: a plain webhook (function key only).')
param apiObjectId string
param apiIdentifierUri string
param tags object

var metricRules = filter(policy.alertRules, r => contains(r, 'metric') && contains(r, 'target'))
var recipients = union(flatten(map(policy.alertRules, r => r.?action.?recipients ?? [])), [])

module actionGroup 'action-group.bicep' = {
  name: 'action-group'
  scope: resourceGroup(appResourceGroupName)
  params: {
    name: actionGroupName
    functionAppName: functionAppName
    apiObjectId: apiObjectId
    apiIdentifierUri: apiIdentifierUri
    recipients: recipients
    tags: tags
  }
}

func targetId(policy object, rule object) string =>
  rule.target.resource == 'plan'
    ? policy.environments[rule.target.environment].appServicePlan
    : policy.environments[rule.target.environment].components[rule.target.resource].resourceId

module rules 'metric-alert.bicep' = [
  for rule in metricRules: {
    name: 'alert-${rule.name}'
    scope: resourceGroup(split(targetId(policy, rule), '/')[2], split(targetId(policy, rule), '/')[4])
    params: {
      name: rule.name
      targetId: targetId(policy, rule)
      metricName: rule.metric
      threshold: rule.threshold
      window: rule.window
      severity: rule.?severity ?? 2
      actionGroupId: actionGroup.outputs.id
      tags: tags
    }
  }
]

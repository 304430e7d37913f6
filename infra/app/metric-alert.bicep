// One of the ops policy's metric alert rules (the guide's high-cpu-usage: CpuPercentage > 80 over PT5M).
param name string
param targetId string
param metricName string
param threshold int
param window string
param severity int
param actionGroupId string
param tags object

resource alert 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: name
  location: 'global'
  tags: tags
  properties: {
    description: 'Phoenix Ops policy alert rule ${name}: ${metricName} above ${threshold} over ${window}'
    severity: severity
    enabled: true
    scopes: [targetId]
    evaluationFrequency: 'PT1M'
    windowSize: window
    autoMitigate: true
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: metricName
          metricName: metricName
          operator: 'GreaterThan'
          threshold: threshold
          timeAggregation: 'Average'
        }
      ]
    }
    actions: [{ actionGroupId: actionGroupId }]
  }
}

// Built-in role definition ids, by name: one place, shared by every module that assigns a role (and read
// by test/infra, which checks the adapters' operations against infra/role-actions.json).
@export()
var roles = {
  Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
  MonitoringReader: '43d0d8ad-25c7-4714-9337-8ba259a9fe05'
  MonitoringContributor: '749f88d5-cbae-40b8-bcfc-e573ddc772fa'
  MonitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  LogAnalyticsReader: '73c42c96-874c-492b-b04d-ab87d138a893'
  SecurityReader: '39bc4728-0917-49c7-9d2c-d95423bc2eb4'
  WebsiteContributor: 'de139f84-1756-47ae-9be6-808fbbe84772'
  WebPlanContributor: '2cc479cb-7b4d-49a8-b449-8c00fd0f0a4b'
  BackupReader: 'a795c7a0-d4a2-40c1-ae25-d81f01202912'
  BackupOperator: '00c29273-979b-4161-815c-10b084fb9324'
  KeyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  KeyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  StorageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  StorageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  StorageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}

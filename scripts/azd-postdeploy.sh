#!/bin/sh
# azd's postdeploy hook: the Event Grid system topics and subscriptions on the watched Key Vaults
# (infra/post-deploy/event-grid.bicep), which can be created only once the rotation function is
# deployed. Nothing to do while PHOENIX_WATCHED_KEY_VAULT_IDS (a JSON array of vault resource ids) is
# unset. azd passes its environment's values (AZURE_*) in the environment.
set -eu
if [ -z "${PHOENIX_WATCHED_KEY_VAULT_IDS:-}" ]; then
  echo "postdeploy: no watched Key Vaults (PHOENIX_WATCHED_KEY_VAULT_IDS); no Event Grid subscription made"
  exit 0
fi
app_id=$(az functionapp show -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" --query id -o tsv)
az deployment sub create \
  --name "phoenix-ops-events-${AZURE_ENV_NAME}" \
  --location "$AZURE_LOCATION" \
  --template-file infra/post-deploy/event-grid.bicep \
  --parameters functionAppId="$app_id" watchedKeyVaultIds="$PHOENIX_WATCHED_KEY_VAULT_IDS"

#!/usr/bin/env bash
# The Bicep CLI from NuGet (Azure.Bicep.CommandLine.linux-x64, restored with dotnet into .local/), then
# `bicep build` and `bicep lint` of every deployable file in infra/. The linter's rules are in
# infra/bicepconfig.json, the ones that matter at level error, so a Bicep mistake fails. Works with no
# network once restored (local modules only). Usage: scripts/bicep.sh [bicep args...] to run bicep itself.
set -euo pipefail
cd "$(dirname "$0")/.."
version=0.49.2
packages=.local/nuget
bicep="$packages/azure.bicep.commandline.linux-x64/$version/tools/bicep"
if [ ! -x "$bicep" ]; then
  dotnet restore infra/tools/bicep.csproj --packages "$packages" -p:BicepVersion="$version" >/dev/null
fi
if [ $# -gt 0 ]; then
  exec "$bicep" "$@"
fi
mkdir -p .local/infra
for file in infra/main.bicep infra/post-deploy/event-grid.bicep; do
  out=".local/infra/$(basename "$file" .bicep).json"
  echo "== bicep build $file"
  "$bicep" build "$file" --outfile "$out"
  echo "== bicep lint $file"
  "$bicep" lint "$file"
done
echo "bicep: built and linted (ARM templates in .local/infra/)"

import { randomUUID } from "node:crypto";
import { type Azurite, startAzurite } from "../../local/azurite.ts";
import { type Runtime, createRuntime } from "../../src/shared/composition/runtime.ts";

/**
 * The real adapters over Azurite, built by the composition folder as in production: each call with a
 * table prefix of its own (or the one given, for a second instance of the same app), so suites
 * sharing one Azurite never see each other's rows.
 */
export async function azuriteRuntimes(): Promise<{
  azurite: Azurite;
  runtime: (prefix?: string) => Runtime;
}> {
  const azurite = await startAzurite({ inMemory: true });
  return {
    azurite,
    runtime: (prefix = `c${randomUUID().replace(/-/g, "").slice(0, 12)}`) =>
      createRuntime({
        env: {
          AzureWebJobsStorage: azurite.connectionString,
          PHOENIX_STATE_TABLE_PREFIX: prefix,
          PHOENIX_POLICY_PATH: "config/ops-policy.json",
        },
      }),
  };
}

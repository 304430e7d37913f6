import type { TokenCredential } from "@azure/core-auth";
import { DefaultAzureCredential, ManagedIdentityCredential } from "@azure/identity";
import type { Settings } from "../config/settings.ts";

/**
 * The process's one credential: the app's user-assigned managed identity in Azure (and locally, from
 * the local estate's identity endpoint); DefaultAzureCredential for the CLI's break-glass mode.
 */
export function createCredential(settings: Settings): TokenCredential {
  if (settings.PHOENIX_CREDENTIAL === "default") {
    return new DefaultAzureCredential(
      settings.AZURE_CLIENT_ID ? { managedIdentityClientId: settings.AZURE_CLIENT_ID } : {},
    );
  }
  return settings.AZURE_CLIENT_ID
    ? new ManagedIdentityCredential({ clientId: settings.AZURE_CLIENT_ID })
    : new ManagedIdentityCredential();
}

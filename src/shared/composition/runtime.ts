import { EntraTokenValidator } from "../auth/entra-token.ts";
import { loadPolicyFile, loadSettings } from "../config/load.ts";
import type { PortName, Ports } from "../ports/catalogue.ts";
import { systemClock } from "../ports/clock.ts";
import type { ProcedureRuntime } from "../procedures/runtime.ts";
import { createAzureClients, once } from "./azure-clients.ts";
import { createCredential } from "./credential.ts";
import { createPortFactories, selectPorts } from "./ports.ts";
import { createStorageAccess } from "./storage.ts";

export interface RuntimeOptions {
  env?: Record<string, string | undefined>;
  /** Folder that relative paths in settings (the policy file) are resolved against. */
  baseDir?: string;
}

export interface Runtime extends ProcedureRuntime {
  /** Every port, for tests and benchmarks that use the adapters directly. */
  ports: Ports;
}

/**
 * The one place where settings become clients: one credential, one client per service (and per
 * subscription or region where the SDK binds one), one adapter per port, each built on first use.
 */
export function createRuntime(options: RuntimeOptions = {}): Runtime {
  // Settings are read here and nowhere else.
  const settings = loadSettings(options.env ?? process.env);
  const policy = loadPolicyFile(settings.PHOENIX_POLICY_PATH, options.baseDir);
  const credential = createCredential(settings);
  const azure = createAzureClients(settings, credential);
  const storage = once(() => createStorageAccess(settings, credential));
  const factories = createPortFactories(settings, azure, storage);
  const tokenValidator = settings.PHOENIX_AUTH_TENANT_ID
    ? new EntraTokenValidator({
        tenantId: settings.PHOENIX_AUTH_TENANT_ID,
        authorityHost: settings.PHOENIX_AUTH_AUTHORITY_HOST,
        audiences: settings.PHOENIX_AUTH_AUDIENCES,
      })
    : null;
  const allPorts = Object.keys(factories) as PortName[];
  return {
    settings,
    policy,
    clock: systemClock,
    apiBaseUrl:
      settings.PHOENIX_PUBLIC_BASE_URL ??
      (settings.WEBSITE_HOSTNAME ? `https://${settings.WEBSITE_HOSTNAME}` : null),
    tokenValidator,
    portsFor: (names) => selectPorts(factories, names),
    ports: selectPorts(factories, allPorts),
  };
}

let processRuntime: Runtime | undefined;

/** The runtime of this process, built on first use. Triggers call this, never an SDK. */
export function getRuntime(): Runtime {
  processRuntime ??= createRuntime();
  return processRuntime;
}

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
    portsFor: portsCache(factories),
    ports: selectPorts(factories, allPorts),
  };
}

/** One frozen view per list of port names: an edge asks for its procedure's ports on every invocation. */
function portsCache(factories: Parameters<typeof selectPorts>[0]): ProcedureRuntime["portsFor"] {
  const views = new Map<string, unknown>();
  return <P extends PortName>(names: readonly P[]): Pick<Ports, P> => {
    const key = names.join(",");
    let view = views.get(key) as Pick<Ports, P> | undefined;
    if (!view) {
      view = selectPorts(factories, names);
      views.set(key, view);
    }
    return view;
  };
}

let processRuntime: Runtime | undefined;

/** The runtime of this process, built on first use. Triggers call this, never an SDK. */
export function getRuntime(): Runtime {
  processRuntime ??= createRuntime();
  return processRuntime;
}

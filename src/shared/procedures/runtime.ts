import type { EntraTokenValidator } from "../auth/entra-token.ts";
import type { OpsPolicy } from "../config/policy.ts";
import type { Settings } from "../config/settings.ts";
import type { Clock } from "../ports/clock.ts";
import type { PortName, Ports } from "../ports/catalogue.ts";

/** What the edges (triggers, the CLI's direct mode) need to run a procedure: built once per process. */
export interface ProcedureRuntime {
  settings: Settings;
  policy: OpsPolicy;
  clock: Clock;
  apiBaseUrl: string | null;
  /** Null until PHOENIX_AUTH_TENANT_ID is set: operator endpoints then refuse every caller. */
  tokenValidator: EntraTokenValidator | null;
  /** The declared ports only: a procedure cannot reach one it did not declare. */
  portsFor<P extends PortName>(names: readonly P[]): Pick<Ports, P>;
}

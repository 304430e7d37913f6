import type { TokenAuthority } from "./auth/tokens.ts";
import type { EstateState } from "./model/state.ts";
import type { ScenarioName } from "./scenarios.ts";
import type { LongRunningOperations } from "./server/operations.ts";

/** What every surface module is given: the estate's identity, its state and the active scenario. */
export interface EstateContext {
  /** `https://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  tenantId: string;
  identityHeader: string;
  state: EstateState;
  /** Where write surfaces start their long-running operations. */
  operations: LongRunningOperations;
  tokens: TokenAuthority;
  scenario(): ScenarioName;
  outboxDir: string;
  log(line: string): void;
}

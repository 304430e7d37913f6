/**
 * The Functions app: every declared procedure's triggers, registered with the host (v4 programming
 * model) from the registry.
 */
import { registerProcedures } from "./functions/register.ts";
import { getRuntime } from "./shared/composition/runtime.ts";
import { procedures } from "./shared/procedures/registry.ts";

registerProcedures(procedures, getRuntime);

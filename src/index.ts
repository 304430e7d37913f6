/**
 * The Functions app: every declared procedure's triggers, registered with the host (v4 programming
 * model) from the registry. The deployable bundle registers the same triggers from a list written at
 * build time, and loads this code on the first invocation (scripts/build.ts).
 */
import { registerProcedures } from "./functions/register.ts";
import { getRuntime } from "./shared/composition/runtime.ts";
import { procedures } from "./shared/procedures/registry.ts";

registerProcedures(procedures, getRuntime);

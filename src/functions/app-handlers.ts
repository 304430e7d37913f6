/**
 * The app's code behind the deployable bundle's triggers (dist/app.cjs): loaded on the first
 * invocation, not when the worker indexes the app (see registerDeferred and scripts/build.ts).
 */
import { getRuntime } from "../shared/composition/runtime.ts";
import { procedures } from "../shared/procedures/registry.ts";
import { edgeHandlers } from "./edge-handlers.ts";

export const handlers = edgeHandlers(procedures, getRuntime);

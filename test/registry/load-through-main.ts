/**
 * Loads the app the way the Azure Functions worker finds it: the app root's package.json `main`,
 * required with `@azure/functions-core` supplied. Prints the registered function names as JSON.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { WorkerApp, createCoreApi, installCoreModule } from "../../local/functions-host/core-module.ts";

const root = resolve(process.argv[2] ?? ".");
const { main } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { main?: string };
if (!main) throw new Error("package.json has no main");
const app = new WorkerApp(() => undefined);
installCoreModule(createCoreApi(app));
createRequire(join(root, "package.json"))(join(root, main));
process.stdout.write(JSON.stringify([...app.functions.values()].map((f) => f.metadata.name)));

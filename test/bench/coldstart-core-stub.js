// A stand-in for the `@azure/functions-core` module the Functions worker builds into itself: it accepts
// the programming model, hooks and function registrations and does nothing else. Preloaded with
// `node --import` by the cold-start benchmark, which then requires a bundle and times it. Module._load is
// the funnel behind every CommonJS require, the bundle's included (as local/functions-host does it).
import Module from "node:module";

class Disposable {
  constructor(callback) {
    this.callback = callback;
  }
  dispose() {
    this.callback?.();
  }
}
const registered = [];
let model;
const coreApi = {
  version: "3.10.1",
  hostVersion: "4.1040.0",
  registerHook: () => new Disposable(),
  setProgrammingModel: (value) => {
    model = value;
  },
  getProgrammingModel: () => model,
  registerFunction: (metadata) => {
    registered.push(metadata.name);
    return new Disposable();
  },
  log: () => {},
  Disposable,
};
const originalLoad = Module._load;
Module._load = function load(request, parent, isMain) {
  if (request === "@azure/functions-core") return coreApi;
  return originalLoad.call(this, request, parent, isMain);
};
globalThis.__coldstartRegistered = registered;

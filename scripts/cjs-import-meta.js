// Injected into the CommonJS bundle: some ESM dependencies read import.meta.url, which CommonJS lacks.
// Their module-relative look-ups then resolve against the bundle file itself.
export const importMetaUrl = require("node:url").pathToFileURL(__filename).href;

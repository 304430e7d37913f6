// @ts-check
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

const azureSdk = {
  group: ["@azure/*", "!@azure/functions"],
  message: "Azure SDK packages belong in adapters and the composition folder.",
};
const functionsLibrary = {
  group: ["@azure/functions"],
  message:
    "@azure/functions belongs in the trigger layer (src/functions) and the edge pipeline (src/shared/edge).",
};
const outerLayers = {
  group: ["**/functions/*", "**/cli/*"],
  message: "src/shared never imports the trigger layer or the CLI.",
};
const localStack = { group: ["**/local/*"], message: "The app never imports the local stack." };

/** The layering rules, per folder: what each may import. */
const layer = (files, patterns) => ({
  files,
  rules: { "no-restricted-imports": ["error", { patterns }] },
});

export default tseslint.config(
  { ignores: ["dist/", ".local/", "node_modules/", "coverage/", "bin/"] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  layer(["src/shared/**/*.ts"], [azureSdk, functionsLibrary, outerLayers, localStack]),
  layer(
    ["src/shared/adapters/**/*.ts", "src/shared/composition/**/*.ts"],
    [functionsLibrary, outerLayers, localStack],
  ),
  // Telemetry wires OpenTelemetry, the Azure Monitor exporter and the Functions instrumentation.
  layer(["src/shared/telemetry/**/*.ts"], [outerLayers, localStack]),
  layer(["src/shared/edge/**/*.ts"], [azureSdk, outerLayers, localStack]),
  layer(["src/functions/**/*.ts"], [azureSdk, localStack]),
  layer(
    ["src/cli/**/*.ts"],
    [
      functionsLibrary,
      localStack,
      {
        group: ["@azure/*", "!@azure/identity"],
        message: "The CLI reaches Azure only through the app's API or the composition folder.",
      },
    ],
  ),
  {
    // Settings are read in one place: the composition folder loads them; nothing else reads the environment.
    files: ["src/**/*.ts"],
    ignores: ["src/shared/composition/**", "src/cli/**"],
    rules: {
      "no-restricted-properties": [
        "error",
        {
          object: "process",
          property: "env",
          message:
            "process.env is read only where settings are loaded (src/shared/composition, the CLI's entry).",
        },
      ],
    },
  },
  {
    // Write tokens come from change control alone: a change that skips its plan, guardrails and audit
    // record must not build. (Tests may issue one to exercise an adapter's write directly.)
    files: ["src/**/*.ts", "local/**/*.ts"],
    ignores: ["src/shared/change-control/execute.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "MemberExpression[object.name='ChangeToken'][property.name='issue']",
          message: "ChangeToken.issue is change control's own door (src/shared/change-control/execute.ts).",
        },
      ],
    },
  },
  {
    // Fakes implement async ports synchronously.
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/require-await": "off" },
  },
  {
    files: ["**/*.js"],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // Injected into the CommonJS bundle, where require and __filename exist.
    files: ["scripts/cjs-import-meta.js"],
    languageOptions: { globals: { require: "readonly", __filename: "readonly" } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);

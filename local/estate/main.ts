/**
 * Runs the local Azure estate until SIGINT/SIGTERM and prints one JSON line with its coordinates:
 *
 *   npx tsx local/with-local-ca.ts npx tsx local/estate/main.ts --port 0 --scenario healthy --outbox .local/outbox
 *
 * Options: --port N, --host H, --scenario NAME, --outbox DIR, --latency MS, --identity-header SECRET,
 * --no-throttling, --verbose (log every request to stderr).
 */
import { parseArgs } from "node:util";
import { isScenarioName, scenarioNames } from "./scenarios.ts";
import { startEstate } from "./index.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" },
    scenario: { type: "string", default: "healthy" },
    outbox: { type: "string", default: ".local/outbox" },
    latency: { type: "string", default: "0" },
    "identity-header": { type: "string" },
    "no-throttling": { type: "boolean", default: false },
    verbose: { type: "boolean", default: false },
  },
});

if (!isScenarioName(values.scenario)) {
  console.error(`unknown scenario '${values.scenario}': use one of ${scenarioNames.join(", ")}`);
  process.exit(64);
}
const port = Number(values.port);
const latencyMs = Number(values.latency);
if (!Number.isInteger(port) || port < 0 || !Number.isFinite(latencyMs) || latencyMs < 0) {
  console.error("--port and --latency take non-negative numbers");
  process.exit(64);
}

const estate = await startEstate({
  port,
  host: values.host,
  scenario: values.scenario,
  outboxDir: values.outbox,
  latencyMs,
  throttling: !values["no-throttling"],
  ...(values["identity-header"] ? { identityHeader: values["identity-header"] } : {}),
  log: (line) => {
    // Request lines only with --verbose; lifecycle and email lines always.
    if (values.verbose || !/^(GET|POST|PUT|PATCH|DELETE) /.test(line)) console.error(`[estate] ${line}`);
  },
});

console.log(
  JSON.stringify({
    url: estate.url,
    identityEndpoint: estate.identityEndpoint,
    identityHeader: estate.identityHeader,
    tenantId: estate.tenantId,
  }),
);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    estate.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

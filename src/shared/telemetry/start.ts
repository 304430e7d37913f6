/**
 * Telemetry on: OpenTelemetry with Application Insights (@azure/monitor-opentelemetry, the managed
 * identity's credential; the resource has local auth disabled) or OTLP, the Azure Functions
 * instrumentation (the host's trace context on every invocation; `context.log` entries, which carry the
 * app's structured logs with their invocation id, become log records correlated to the invocation's
 * trace), and the custom metrics counted from log events (metrics.ts). Loaded only when telemetry is on
 * (mode.ts); host.json's `telemetryMode: OpenTelemetry` tells the host to leave it to the worker.
 */
import type * as FunctionsModule from "@azure/functions";
import { AzureFunctionsInstrumentation } from "@azure/functions-opentelemetry-instrumentation";
import { ManagedIdentityCredential } from "@azure/identity";
import { useAzureMonitor } from "@azure/monitor-opentelemetry";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { observeLogs } from "../log.ts";
import { countLogEvents } from "./metrics.ts";
import type { TelemetryMode } from "./mode.ts";

export function startTelemetry(
  mode: Exclude<TelemetryMode, "off">,
  env: Record<string, string | undefined>,
  functions: typeof FunctionsModule,
): void {
  if (mode === "azure-monitor") {
    useAzureMonitor({
      azureMonitorExporterOptions: {
        connectionString: env.APPLICATIONINSIGHTS_CONNECTION_STRING,
        credential: env.AZURE_CLIENT_ID
          ? new ManagedIdentityCredential({ clientId: env.AZURE_CLIENT_ID })
          : new ManagedIdentityCredential(),
      },
      instrumentationOptions: { http: { enabled: true }, azureSdk: { enabled: true } },
    });
  } else {
    // OTEL_EXPORTER_OTLP_ENDPOINT and the other OTEL_* variables configure the exporters.
    new NodeSDK({ serviceName: env.OTEL_SERVICE_NAME ?? "phoenix-ops" }).start();
  }
  // The instrumentation patches the @azure/functions it is given: the bundle's own copy, which a
  // require hook cannot see.
  const instrumentation = new AzureFunctionsInstrumentation() as unknown as {
    _patch(module: typeof FunctionsModule): unknown;
  };
  instrumentation._patch(functions);
  observeLogs(countLogEvents());
}

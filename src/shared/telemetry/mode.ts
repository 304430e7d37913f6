/**
 * Whether telemetry is on, decided from the environment alone, with nothing loaded: the deployable
 * bundle asks this at load and loads OpenTelemetry only when the answer is not "off", so a cold start
 * with telemetry off pays nothing for it.
 *
 * - `PHOENIX_TELEMETRY=azure-monitor` (what infra/ sets): Application Insights through
 *   @azure/monitor-opentelemetry, signing in with the app's managed identity.
 * - `PHOENIX_TELEMETRY=otlp`, or unset with `OTEL_EXPORTER_OTLP_ENDPOINT` set: OTLP (a local collector).
 * - otherwise off (the local stack, tests).
 */
export type TelemetryMode = "off" | "azure-monitor" | "otlp";

export function telemetryMode(env: Record<string, string | undefined>): TelemetryMode {
  const explicit = env.PHOENIX_TELEMETRY;
  if (explicit === "azure-monitor" || explicit === "otlp" || explicit === "off") return explicit;
  return env.OTEL_EXPORTER_OTLP_ENDPOINT ? "otlp" : "off";
}

import { metrics } from "@opentelemetry/api";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger, observeLogs } from "../../../src/shared/log.ts";
import { countLogEvents, metricEventNames } from "../../../src/shared/telemetry/metrics.ts";
import { telemetryMode } from "../../../src/shared/telemetry/mode.ts";

describe("telemetry mode", () => {
  it("is off locally unless an OTLP endpoint is set", () => {
    expect(telemetryMode({})).toBe("off");
    expect(telemetryMode({ APPLICATIONINSIGHTS_CONNECTION_STRING: "InstrumentationKey=x" })).toBe("off");
    expect(telemetryMode({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" })).toBe("otlp");
  });

  it("follows PHOENIX_TELEMETRY when it is set", () => {
    expect(telemetryMode({ PHOENIX_TELEMETRY: "azure-monitor" })).toBe("azure-monitor");
    expect(
      telemetryMode({ PHOENIX_TELEMETRY: "off", OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" }),
    ).toBe("off");
  });
});

describe("custom metrics from log events", () => {
  afterEach(() => {
    observeLogs(undefined);
    metrics.disable();
  });

  it("counts the events operators watch, with their attributes, and nothing else", () => {
    const added: { name: string; value: number; attributes: unknown }[] = [];
    const meter = {
      createCounter: (name: string) => ({
        add: (value: number, attributes: unknown) => added.push({ name, value, attributes }),
      }),
    };
    metrics.setGlobalMeterProvider({ getMeter: () => meter } as never);
    observeLogs(countLogEvents());
    const logger = createLogger(() => {}, { invocationId: "i-1" });
    logger.info("health check finished", { environment: "prod", overall: "critical", token: "x" });
    logger.info("change finished", { kind: "scale", outcome: "applied" });
    logger.info("scheduled run tick", {});
    expect(added).toEqual([
      { name: "phoenix.health_checks", value: 1, attributes: { environment: "prod", overall: "critical" } },
      { name: "phoenix.changes", value: 1, attributes: { kind: "scale", outcome: "applied" } },
    ]);
    expect(metricEventNames()).toContain("phoenix.backup_verifications");
  });
});

import { isoDurationMs } from "../../durations.ts";
import { z } from "zod";
import { OpsError } from "../../errors.ts";
import { environmentOf } from "../../incidents/routing.ts";
import { aggregations } from "../../ports/metrics-reader.ts";
import type { MetricSeries } from "../../ports/metric-series-reader.ts";
import { defineProcedure } from "../../procedures/declaration.ts";
import { tableText } from "../../render/table.ts";

/** The time grains Azure Monitor accepts, as `az monitor metrics list --interval` lists them. */
const grains = ["PT1M", "PT5M", "PT15M", "PT30M", "PT1H", "PT6H", "PT12H", "P1D"] as const;

const instant = z.iso.datetime({
  offset: true,
  local: true,
  message: "an ISO 8601 date and time, e.g. 2026-12-01T06:00:00Z",
});

export interface MetricsListResult extends MetricSeries {
  timespan: string;
  aggregations: string[];
}

/** The guide's `az monitor metrics list --resource $RESOURCE_ID --metric "CpuPercentage" --interval PT1H`. */
export const metricsList = defineProcedure({
  name: "metrics list",
  summary: "A metric's time series for a resource of the estate (az monitor metrics list)",
  description:
    "The resource must be in an environment's resource group. Without --start-time the window is the hour (or interval) before --end-time (default: now).",
  input: z
    .object({
      resource: z
        .string()
        .regex(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/.+/i, "a full Azure resource id")
        .describe("the resource's id"),
      metric: z
        .string()
        .regex(/^[\w .-]{1,100}$/, "a metric name such as CpuPercentage")
        .describe("the metric's name"),
      interval: z.enum(grains).default("PT1H").describe("time grain"),
      aggregation: z
        .union([z.array(z.string()), z.string().transform((v) => v.split(","))])
        .transform((list) => list.map((s) => s.trim().toLowerCase()).filter((s) => s.length > 0))
        .pipe(z.array(z.enum(aggregations)).min(1))
        .default(["average"])
        .describe(`comma-separated aggregations: ${aggregations.join(", ")}`),
      startTime: instant.optional().describe("start of the window (ISO 8601)"),
      endTime: instant.optional().describe("end of the window (ISO 8601, default: now)"),
    })
    .strict(),
  ports: ["metricSeries"],
  async run(ports, input, context): Promise<MetricsListResult> {
    const known = environmentOf(context.policy, [input.resource]);
    if (!known) {
      throw new OpsError("NotFound", `resource ${input.resource} is in no environment of the ops policy`, {
        details: { field: "resource" },
      });
    }
    const end = input.endTime ? new Date(input.endTime) : context.clock.now();
    const stepMs = isoDurationMs(input.interval);
    const start = input.startTime
      ? new Date(input.startTime)
      : new Date(end.getTime() - Math.max(3_600_000, stepMs));
    if (!(start < end)) {
      throw new OpsError("BadRequest", "the start time must be before the end time", {
        details: { field: "startTime" },
      });
    }
    const options = { abortSignal: context.abortSignal };
    const names = await ports.metricSeries.listMetricNames(input.resource, options);
    const name = names.find((n) => n.toLowerCase() === input.metric.toLowerCase());
    if (!name) {
      throw new OpsError(
        "BadRequest",
        `${input.resource.split("/").pop() ?? input.resource} has no metric "${input.metric}"; it has: ${names.join(", ") || "none"}`,
        { details: { field: "metric" } },
      );
    }
    const series = await ports.metricSeries.getSeries(
      {
        resourceId: input.resource,
        metricName: name,
        aggregations: input.aggregation,
        start,
        end,
        interval: input.interval,
      },
      options,
    );
    return {
      ...series,
      timespan: `${start.toISOString()}/${end.toISOString()}`,
      aggregations: input.aggregation,
    };
  },
  table: (result) =>
    `${result.metricName} (${result.unit}) of ${result.resourceId}\n${result.timespan}, every ${result.interval}\n\n${tableText(
      [
        ["TIMESTAMP (UTC)", ...result.aggregations.map((a) => a.toUpperCase())],
        ...result.points.map((p) => [
          p.timeStamp.slice(0, 19).replace("T", " "),
          ...result.aggregations.map((a) => {
            const value = p[a as keyof typeof p];
            return typeof value === "number" ? String(Math.round(value * 100) / 100) : "";
          }),
        ]),
      ],
      "No datapoints in the window.\n",
    )}`,
  changesEstate: false,
  http: { method: "GET", route: "metrics", auth: "Ops.Reader" },
});

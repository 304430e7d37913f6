import { readFile } from "node:fs/promises";
import { z } from "zod";
import { OpsError } from "../../errors.ts";
import { policySchema } from "../../config/policy.ts";
import { defineProcedure } from "../../procedures/declaration.ts";
import { tableText } from "../../render/table.ts";
import { type FieldIssue, fieldIssues } from "../../validation.ts";
import { type MetricAlertRule, metricAlertRules } from "./metric-alert-rules.ts";

export interface AlertsValidation {
  file: string;
  valid: boolean;
  /** Every problem of the file, alert rules and the rest, with its key path. */
  issues: FieldIssue[];
  rules: { name: string; kind: "metric alert" | "routing only"; target: string | null }[];
  metricAlertRules: MetricAlertRule[];
}

/**
 * The guide's "Alert Configuration" block, checked: every alertRule against the schema and against
 * the environments (its target exists and has its metric), and the Azure Monitor metric alert rules
 * the rules stand for, as the infrastructure deploys them. It reads a local file and needs no app.
 */
export const alertsValidate = defineProcedure({
  name: "alerts validate",
  summary: "Check the ops policy's alertRules and print the Azure Monitor alert rules they stand for",
  description: "Exit codes: 0 valid, 2 invalid, 64 usage error (no such file, not JSON).",
  input: z
    .object({
      file: z.string().min(1).default("config/ops-policy.json").describe("the ops policy file"),
    })
    .strict(),
  ports: [],
  async run(_ports, input): Promise<AlertsValidation> {
    let text: string;
    try {
      text = await readFile(input.file, "utf8");
    } catch (error) {
      throw new OpsError(
        "BadRequest",
        `cannot read ${input.file} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
        {
          cause: error,
          details: { field: "file" },
        },
      );
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new OpsError("BadRequest", `${input.file} is not valid JSON: ${(error as Error).message}`, {
        details: { field: "file" },
      });
    }
    const parsed = policySchema.safeParse(raw);
    if (!parsed.success) {
      return {
        file: input.file,
        valid: false,
        issues: fieldIssues(parsed.error.issues, "(root)"),
        rules: [],
        metricAlertRules: [],
      };
    }
    const generated = metricAlertRules(parsed.data);
    return {
      file: input.file,
      valid: true,
      issues: [],
      rules: parsed.data.alertRules.map((rule) => {
        const alert = generated.find((g) => g.name === rule.name);
        return {
          name: rule.name,
          kind: alert ? "metric alert" : "routing only",
          target: alert?.properties.scopes[0] ?? null,
        };
      }),
      metricAlertRules: generated,
    };
  },
  status: (result) => (result.valid ? "ok" : "critical"),
  table: (result) =>
    result.valid
      ? `${result.file}: valid, ${result.rules.length} alert rule${result.rules.length === 1 ? "" : "s"}\n\n${tableText(
          [
            ["RULE", "KIND", "WATCHES", "TARGET"],
            ...result.rules.map((r) => {
              const alert = result.metricAlertRules.find((g) => g.name === r.name);
              const c = alert?.properties.criteria.allOf[0];
              return [
                r.name,
                r.kind,
                c && alert
                  ? `${c.timeAggregation} ${c.metricName} ${c.operator} ${c.threshold} over ${alert.properties.windowSize}`
                  : "",
                r.target ?? "",
              ];
            }),
          ],
          "No alert rules.\n",
        )}${result.metricAlertRules.length > 0 ? `\nAzure Monitor metric alert rules (--output json for the resources):\n${result.metricAlertRules.map((r) => `  ${r.name}: ${r.properties.description}`).join("\n")}\n` : ""}`
      : `${result.file}: INVALID\n${result.issues.map((i) => `  - ${i.field}: ${i.message}`).join("\n")}\n`,
  changesEstate: false,
  cli: { local: true },
});

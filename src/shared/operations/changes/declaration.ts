import { z } from "zod";
import { changeStatuses } from "../../change-control/model.ts";
import { OpsError } from "../../errors.ts";
import { defineProcedure } from "../../procedures/declaration.ts";
import { tableText } from "../../render/table.ts";
import { renderChange } from "./render.ts";

/** The audit trail of estate changes: what changed, who or what asked, the plan, before, after, result. */
export const changesList = defineProcedure({
  name: "changes list",
  summary: "List estate changes, newest first (the audit trail)",
  input: z
    .object({
      environment: z.string().min(1).max(80).optional().describe("only this environment's changes"),
      resource: z.string().min(1).max(1000).optional().describe("only changes of this resource id"),
      since: z.iso.datetime({ offset: true }).optional().describe("only changes at or after (ISO 8601)"),
      result: z.enum(changeStatuses).optional().describe("only changes with this result"),
      limit: z.number().int().min(1).max(500).default(50).describe("how many (1 to 500)"),
    })
    .strict(),
  ports: ["changes"],
  run: async (ports, input, context) => ({
    changes: await ports.changes.list(
      {
        environment: input.environment,
        resourceId: input.resource,
        // Stored times are UTC ISO strings, compared as text: an offset is turned into UTC first.
        since: input.since === undefined ? undefined : new Date(input.since).toISOString(),
        status: input.result,
        limit: input.limit,
      },
      { abortSignal: context.abortSignal },
    ),
  }),
  table: ({ changes }) =>
    tableText(
      [
        ["ID", "RESULT", "WHEN (UTC)", "BY", "PROCEDURE", "CHANGE"],
        ...changes.map((c) => [
          c.id,
          `${c.status}${c.dryRun ? " (dry run)" : ""}`,
          c.createdAt.slice(0, 19).replace("T", " "),
          c.requestedBy.name,
          c.procedure,
          c.blockedBy ? `${c.summary} [${c.blockedBy.rule}]` : c.summary,
        ]),
      ],
      "No changes.\n",
    ),
  changesEstate: false,
  http: { method: "GET", route: "changes", auth: "Ops.Reader" },
});

export const changesShow = defineProcedure({
  name: "changes show",
  summary: "Show one change: its plan, before and after, result and every step",
  input: z
    .object({
      id: z
        .string()
        .regex(/^CHG-[\w-]{1,80}$/, "not a change id")
        .describe("the change's id (CHG-…)"),
    })
    .strict(),
  ports: ["changes"],
  async run(ports, input, context) {
    const options = { abortSignal: context.abortSignal };
    const change = await ports.changes.get(input.id, options);
    if (!change) throw new OpsError("NotFound", `no change ${input.id}`, { details: { field: "id" } });
    return { change, steps: await ports.changes.listEvents(input.id, options) };
  },
  table: ({ change, steps }) => renderChange(change, steps),
  changesEstate: false,
  http: { method: "GET", route: "changes/{id}", auth: "Ops.Reader" },
  cli: { positionals: ["id"] },
});

import { z } from "zod";

/**
 * What every estate-changing procedure takes besides its own input. The registry adds these fields to
 * the procedure's schema (its HTTP body, its queue message, its CLI flags); no procedure declares them.
 */
export const changeOptionsShape = {
  dryRun: z.boolean().default(false).describe("plan the change and check the guardrails, change nothing"),
  reason: z.string().trim().min(1).max(500).optional().describe("why: kept in the audit trail"),
  key: z
    .string()
    .regex(/^[\w.:@-]{1,200}$/, "letters, digits and . : @ _ - only, at most 200")
    .optional()
    .describe("idempotency key: a repeat with the same key answers the first change"),
  force: z
    .boolean()
    .default(false)
    .describe("go through a change freeze (needs a reason; every other guardrail still applies)"),
};

export const changeOptionNames = Object.keys(changeOptionsShape) as (keyof typeof changeOptionsShape)[];

export interface ChangeOptions {
  dryRun: boolean;
  reason?: string;
  key?: string;
  force: boolean;
}

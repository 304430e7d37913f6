import { z } from "zod";
import { policySchema } from "./policy.ts";

/** The JSON Schema of the ops policy, derived from the zod schema so the two never disagree. */
export function policyJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(policySchema, { io: "input", unrepresentable: "any" }),
    $id: "https://phoenixvc.tech/schemas/ops-policy.json",
    title: "Phoenix Ops policy",
  };
}

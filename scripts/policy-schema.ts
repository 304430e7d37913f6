/** Writes config/ops-policy.schema.json from the policy's zod schema, so editors complete the policy file. */
import { writeFile } from "node:fs/promises";
import { policyJsonSchema } from "../src/shared/config/policy-json-schema.ts";

await writeFile("config/ops-policy.schema.json", `${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
console.log("wrote config/ops-policy.schema.json");

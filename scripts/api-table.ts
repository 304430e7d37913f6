/**
 * The README's API table, made from the procedure registry: `npm run docs:api` writes it between the
 * README's api-table markers, and a test checks that the README matches the registry.
 */
import { readFile, writeFile } from "node:fs/promises";
import { format, resolveConfig } from "prettier";
import { inputFields } from "../src/shared/procedures/input-fields.ts";
import { inputSchemaOf } from "../src/shared/procedures/input-schema.ts";
import { procedures } from "../src/shared/procedures/registry.ts";

export const startMarker = "<!-- api-table:start (npm run docs:api) -->";
export const endMarker = "<!-- api-table:end -->";

export function apiTable(): string {
  const rows = procedures
    .filter((p) => p.http)
    .map((p) => {
      const http = p.http!;
      const params = new Set([...http.route.matchAll(/\{(\w+)\}/g)].map((m) => m[1]));
      const fields = inputFields(inputSchemaOf(p))
        .filter((f) => !params.has(f.name) && !(http.rawBody && f.name === "payload"))
        .map((f) => (f.required ? f.name : `${f.name}?`));
      const where = http.method === "GET" ? "query" : "body";
      const takes = http.rawBody
        ? "any JSON (the alert)"
        : fields.length > 0
          ? `${where}: ${fields.join(", ")}`
          : "";
      const who = http.auth === "webhook" ? "function key (+ token if required)" : http.auth;
      const cli = p.cli?.hidden ? "" : `\`phoenix-ops ${p.name}\``;
      return `| \`${http.method} /api/${http.route}\` | ${who} | ${takes} | ${cli} | ${p.summary} |`;
    });
  return [
    startMarker,
    "| Method and route | Role | Takes | CLI | What |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
    endMarker,
  ].join("\n");
}

export function withApiTable(readme: string): string {
  const start = readme.indexOf(startMarker);
  const end = readme.indexOf(endMarker);
  if (start < 0 || end < start) throw new Error("the README has no api-table markers");
  return `${readme.slice(0, start)}${apiTable()}${readme.slice(end + endMarker.length)}`;
}

/** The table's rows with the formatter's padding taken out, so a check does not depend on column widths. */
export function tableRows(readme: string): string[] {
  const start = readme.indexOf(startMarker);
  const end = readme.indexOf(endMarker);
  return readme
    .slice(start, end)
    .split("\n")
    .filter((line) => line.startsWith("|"))
    .map((line) => line.replace(/ {2,}/g, " ").replace(/-{3,}/g, "---"));
}

if (process.argv[1]?.endsWith("api-table.ts")) {
  const readme = await readFile("README.md", "utf8");
  const options = (await resolveConfig("README.md")) ?? {};
  await writeFile("README.md", await format(withApiTable(readme), { ...options, parser: "markdown" }));
  console.log("wrote the API table into README.md");
}

/** Parsing of Azure resource ids; ids are compared case-insensitively, as Resource Manager does. */
export interface ParsedResourceId {
  subscriptionId: string;
  resourceGroup: string;
  provider: string;
  /** e.g. "Microsoft.Web/sites" or "Microsoft.Sql/servers/databases". */
  type: string;
  /** Names along the type path: ["sql-prod", "appdb"] for a database. */
  names: string[];
  name: string;
}

export function parseResourceId(id: string): ParsedResourceId {
  const parts = id.split("/").filter((p) => p.length > 0);
  const lower = parts.map((p) => p.toLowerCase());
  const sub = lower.indexOf("subscriptions");
  const rg = lower.indexOf("resourcegroups");
  const prov = lower.indexOf("providers");
  if (sub !== 0 || rg !== 2 || prov !== 4 || parts.length < 8 || parts.length % 2 !== 0) {
    throw new Error(`not a resource id: ${id}`);
  }
  const provider = parts[5] ?? "";
  const rest = parts.slice(6);
  const types: string[] = [];
  const names: string[] = [];
  for (let i = 0; i < rest.length; i += 2) {
    types.push(rest[i] ?? "");
    names.push(rest[i + 1] ?? "");
  }
  return {
    subscriptionId: parts[1] ?? "",
    resourceGroup: parts[3] ?? "",
    provider,
    type: `${provider}/${types.join("/")}`,
    names,
    name: names[names.length - 1] ?? "",
  };
}

export function normalizeId(id: string): string {
  return id.toLowerCase().replace(/\/+$/, "");
}

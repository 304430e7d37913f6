/**
 * Azure resource ids, parsed the way Resource Manager reads them: case-insensitive, with the provider
 * namespace followed by alternating type and name segments (`Microsoft.Web/sites/{site}/slots/{slot}`).
 */

export interface ParsedResourceId {
  subscriptionId: string;
  resourceGroup: string;
  /** Provider namespace, e.g. `Microsoft.Web`. */
  namespace: string;
  /** Type segments after the namespace, e.g. `["sites", "slots"]`. */
  types: string[];
  /** Name segments, one per type, e.g. `["phoenix-web-prod", "staging"]`. */
  names: string[];
}

const resourceIdPattern = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/([^/]+)\/(.+)$/i;

/** Parses a resource id of a (possibly nested) resource; undefined for anything else. */
export function parseResourceId(id: string): ParsedResourceId | undefined {
  const match = resourceIdPattern.exec(id);
  if (!match) return undefined;
  const [, subscriptionId, resourceGroup, namespace, rest] = match;
  if (!subscriptionId || !resourceGroup || !namespace || !rest) return undefined;
  const segments = rest.split("/");
  if (segments.length % 2 !== 0 || segments.some((s) => s === "")) return undefined;
  const types: string[] = [];
  const names: string[] = [];
  segments.forEach((segment, index) => (index % 2 === 0 ? types : names).push(segment));
  return { subscriptionId, resourceGroup, namespace, types, names };
}

/** `Microsoft.Web/sites/slots` for a slot id. */
export function fullType(parsed: Pick<ParsedResourceId, "namespace" | "types">): string {
  return [parsed.namespace, ...parsed.types].join("/");
}

/** `Microsoft.Web/sites/phoenix-web-prod/slots/staging`: how ARM names a resource in its error messages. */
export function qualifiedName(parsed: ParsedResourceId): string {
  const parts: string[] = [parsed.namespace];
  parsed.types.forEach((type, i) => parts.push(type, parsed.names[i] ?? ""));
  return parts.join("/");
}

/** The id of the resource that contains a nested resource; undefined for a top-level one. */
export function parentResourceId(id: string): string | undefined {
  const parsed = parseResourceId(id);
  if (!parsed || parsed.types.length < 2) return undefined;
  return id.split("/").slice(0, -2).join("/");
}

/** The collection a resource is listed in: its id without the last name segment. */
export function collectionPath(id: string): string {
  return id.slice(0, id.lastIndexOf("/"));
}

export function resourceGroupId(subscriptionId: string, resourceGroup: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
}

/** Ids are compared case-insensitively, as Resource Manager does. */
export function idKey(id: string): string {
  return id.toLowerCase();
}

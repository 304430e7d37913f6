/**
 * Least privilege, checked: every Azure operation an adapter performs (infra/azure-operations.json) is
 * granted by a role that infra/ assigns (infra/role-actions.json for the built-in roles, the template
 * itself for custom ones); every adapter is listed, and every listed call is still in its source.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { allResources, compileMainTemplate } from "./arm-template.ts";

interface Operation {
  call: string;
  operation: string;
}
interface Permissions {
  actions?: string[];
  notActions?: string[];
  dataActions?: string[];
}

const adaptersDir = "src/shared/adapters";
const operations = (
  JSON.parse(readFileSync("infra/azure-operations.json", "utf8")) as { adapters: Record<string, Operation[]> }
).adapters;
const builtIn = (
  JSON.parse(readFileSync("infra/role-actions.json", "utf8")) as { roles: Record<string, Permissions> }
).roles;
const roleIdsSource = readFileSync("infra/app/role-ids.bicep", "utf8");
const definedRoles = [...roleIdsSource.matchAll(/^\s+(\w+): '([0-9a-f-]{36})'/gm)].map((m) => m[1]!);

/** The built-in roles a module assigns: `roles.Name` anywhere in infra/ but role-ids.bicep. */
function assignedBuiltInRoles(): string[] {
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith(".bicep") && entry.name !== "role-ids.bicep") {
        for (const m of readFileSync(file, "utf8").matchAll(/\broles\.(\w+)/g)) names.add(m[1]!);
      }
    }
  };
  walk("infra");
  return [...names];
}

/** Azure's wildcard match, case-insensitive: `*` is any run of characters. */
function grants(pattern: string, operation: string): boolean {
  const escaped = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`, "i").test(operation);
}

function allows(p: Permissions, operation: string): boolean {
  const granted = [...(p.actions ?? []), ...(p.dataActions ?? [])].some((a) => grants(a, operation));
  return granted && !(p.notActions ?? []).some((a) => grants(a, operation));
}

let customRoles: Permissions[];

beforeAll(() => {
  customRoles = allResources(compileMainTemplate())
    .filter((r) => r.type === "Microsoft.Authorization/roleDefinitions")
    .flatMap((r) => (r.properties as { permissions: Permissions[] }).permissions);
}, 120_000);

describe("Azure operations of the adapters against the roles in infra/", () => {
  it("lists every adapter", () => {
    const adapters = readdirSync(adaptersDir).filter((f) => f.endsWith(".ts"));
    expect(adapters.filter((f) => !(f in operations))).toEqual([]);
  });

  it("lists only calls that are in the adapter's source", () => {
    const stale: string[] = [];
    for (const [file, ops] of Object.entries(operations)) {
      let source: string;
      try {
        source = readFileSync(path.join(adaptersDir, file), "utf8");
      } catch {
        // An adapter another change has not landed yet; its lines wait for it.
        continue;
      }
      for (const op of ops) if (!source.includes(op.call)) stale.push(`${file}: ${op.call}`);
    }
    expect(stale).toEqual([]);
  });

  it("knows the permissions of every built-in role it assigns", () => {
    const assigned = assignedBuiltInRoles();
    expect(assigned.filter((r) => !definedRoles.includes(r))).toEqual([]);
    expect(assigned.filter((r) => !(r in builtIn))).toEqual([]);
  });

  it("grants every operation through an assigned role", () => {
    const roles = [...assignedBuiltInRoles().map((r) => builtIn[r]!), ...customRoles];
    const uncovered = Object.entries(operations).flatMap(([file, ops]) =>
      ops.filter((op) => !roles.some((p) => allows(p, op.operation))).map((op) => `${file}: ${op.operation}`),
    );
    expect(uncovered).toEqual([]);
  });

  it("grants nothing through a role no operation needs, but for the host's and telemetry's own", () => {
    const needed = new Set<string>([
      "StorageBlobDataOwner",
      "MonitoringMetricsPublisher",
      "KeyVaultSecretsUser",
      "KeyVaultSecretsOfficer",
      "SecurityReader",
      "MonitoringReader",
      "Reader",
    ]);
    const all = Object.values(operations).flat();
    for (const role of assignedBuiltInRoles()) {
      if (all.some((op) => allows(builtIn[role]!, op.operation))) needed.add(role);
    }
    expect(assignedBuiltInRoles().filter((r) => !needed.has(r))).toEqual([]);
  });
});

/**
 * infra/main.bicep compiled to its ARM template by the Bicep CLI (scripts/bicep.sh restores it from
 * NuGet), once per test file, and a walk over every resource in it, nested deployments included.
 */
import { execFileSync } from "node:child_process";

export interface ArmResource {
  type: string;
  name?: string;
  properties?: Record<string, unknown>;
}

export function compileMainTemplate(): unknown {
  const out = execFileSync("bash", ["scripts/bicep.sh", "build", "infra/main.bicep", "--stdout"], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out) as unknown;
}

/** Every resource of a template and of the templates of its nested deployments (modules). */
export function allResources(template: unknown): ArmResource[] {
  const found: ArmResource[] = [];
  const visit = (t: unknown): void => {
    if (!t || typeof t !== "object") return;
    const resources = (t as { resources?: unknown }).resources;
    // Bicep writes resources as an array, or as an object keyed by symbolic name (languageVersion 2.0).
    const list = Array.isArray(resources)
      ? resources
      : resources && typeof resources === "object"
        ? Object.values(resources)
        : [];
    for (const r of list as ArmResource[]) {
      found.push(r);
      if (r.type === "Microsoft.Resources/deployments") {
        visit((r.properties as { template?: unknown } | undefined)?.template);
      }
    }
  };
  visit(template);
  return found;
}

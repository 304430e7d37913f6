import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../local/stack.ts";
import { changeOptionNames } from "../../src/shared/change-control/options.ts";
import { inputFields, kebabCase } from "../../src/shared/procedures/input-fields.ts";
import { inputSchemaOf } from "../../src/shared/procedures/input-schema.ts";
import { functionName, procedures } from "../../src/shared/procedures/registry.ts";
import { runCli, startTestStack } from "../support/stack.ts";

/** Every registered procedure is served by the host, exposed by the CLI and, with a timer, scheduled. */
let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.close();
});

interface HostFunction {
  name: string;
  config: {
    bindings: { type: string; route?: string; methods?: string[]; schedule?: string; queueName?: string }[];
  };
}

describe("the registry", () => {
  it("names each function once", () => {
    const names = procedures.flatMap((p) => [
      ...(p.http ? [functionName(p)] : []),
      ...(p.timer ? [p.timer.name] : []),
      ...(p.queue ? [p.queue.name] : []),
    ]);
    expect(new Set(names).size).toBe(names.length);
    const commands = procedures.filter((p) => !p.cli?.hidden).map((p) => p.name);
    expect(new Set(commands).size).toBe(commands.length);
  });

  it("is what the Functions worker indexes when it loads the app through package.json main", () => {
    const result = spawnSync(
      process.execPath,
      ["--import", "tsx", "test/registry/load-through-main.ts", "."],
      {
        encoding: "utf8",
      },
    );
    expect(result.stderr).toBe("");
    const registered = JSON.parse(result.stdout) as string[];
    const expected = procedures.flatMap((p) => [
      ...(p.http ? [functionName(p)] : []),
      ...(p.timer ? [p.timer.name] : []),
      ...(p.queue ? [p.queue.name] : []),
    ]);
    expect(registered.sort()).toEqual(expected.sort());
  });
});

describe.each(procedures.filter((p) => p.http).map((p) => [p.name, p] as const))(
  "HTTP: %s",
  (_name, procedure) => {
    it("is served by the app at its route and method", async () => {
      const response = await fetch(`${stack.hostUrl}/admin/functions`);
      const functions = (await response.json()) as HostFunction[];
      const fn = functions.find((f) => f.name === functionName(procedure));
      const trigger = fn?.config.bindings.find((b) => b.type === "httpTrigger");
      expect(trigger?.route).toBe(procedure.http?.route);
      expect(trigger?.methods?.map((m) => m.toUpperCase())).toEqual([procedure.http?.method]);
      const route = (procedure.http?.route ?? "").replace(/\{\w+\}/g, "x");
      const answer = await fetch(`${stack.hostUrl}/api/${route}`, {
        method: procedure.http?.method,
        ...(procedure.http?.method === "POST"
          ? { headers: { "content-type": "application/json" }, body: "{}" }
          : {}),
      });
      // The app's own answer (a problem from its edge), never the host's empty 404.
      expect(answer.headers.get("content-type")).toMatch(/json/);
      if (procedure.http?.auth !== "webhook") expect(answer.status).toBe(401);
    });
  },
);

describe.each(procedures.filter((p) => p.timer).map((p) => [p.name, p] as const))(
  "timer: %s",
  (_name, procedure) => {
    it("is scheduled on its NCRONTAB schedule", async () => {
      const functions = (await (await fetch(`${stack.hostUrl}/admin/functions`)).json()) as HostFunction[];
      const trigger = functions
        .find((f) => f.name === procedure.timer?.name)
        ?.config.bindings.find((b) => b.type === "timerTrigger");
      expect(trigger?.schedule).toBe(procedure.timer?.schedule);
    });
  },
);

describe.each(procedures.filter((p) => !p.cli?.hidden).map((p) => [p.name, p] as const))(
  "CLI: %s",
  (name, procedure) => {
    it("answers --help with every flag of its input, without starting anything", async () => {
      const result = await runCli([...name.split(" "), "--help"], {});
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(procedure.summary.slice(0, 40));
      for (const field of inputFields(inputSchemaOf(procedure))) {
        const positional = procedure.cli?.positionals?.includes(field.name);
        expect(result.stdout).toContain(
          positional ? `<${kebabCase(field.name)}>` : `--${kebabCase(field.name)}`,
        );
      }
      expect(result.stdout).toContain("--output");
    });
  },
);

describe("change control through the registry", () => {
  it.each(procedures.map((p) => [p.name, p] as const))(
    "%s: takes dryRun, reason, key and force exactly when it changes the estate, never declared by hand",
    (_name, procedure) => {
      const own = Object.keys(procedure.input.shape);
      for (const option of changeOptionNames) expect(own).not.toContain(option);
      const taken = inputFields(inputSchemaOf(procedure)).map((f) => f.name);
      for (const option of changeOptionNames) {
        if (procedure.changesEstate) expect(taken).toContain(option);
        else expect(taken).not.toContain(option);
      }
    },
  );

  it("has estate-changing procedures, each behind an operator role or a queue, never a reader's", () => {
    const changing = procedures.filter((p) => p.changesEstate);
    expect(changing.map((p) => p.name)).toEqual(
      expect.arrayContaining(["scale", "scaling alert", "scaling back"]),
    );
    for (const procedure of changing) {
      if (procedure.http) expect(procedure.http.auth).toBe("Ops.Operator");
      expect(procedure.timer).toBeUndefined();
    }
  });
});

describe("the README", () => {
  it("has the API table the registry makes (npm run docs:api writes it)", async () => {
    const { readFile } = await import("node:fs/promises");
    const { apiTable, tableRows, withApiTable } = await import("../../scripts/api-table.ts");
    const readme = await readFile("README.md", "utf8");
    expect(tableRows(readme)).toEqual(tableRows(withApiTable(readme)));
    expect(tableRows(apiTable()).length).toBe(procedures.filter((p) => p.http).length + 2);
  });
});

import { describe, expect, it } from "vitest";
import { compareRoutePrecedence, matchRoute, parseRouteTemplate } from "../../local/functions-host/routes.ts";

const match = (template: string, path: string) => matchRoute(parseRouteTemplate(template), path);

describe("route templates", () => {
  it("matches literals case-insensitively and ignores a trailing slash", () => {
    expect(match("incidents", "/Incidents/")).toEqual({});
    expect(match("incidents", "/incidents/1")).toBeUndefined();
  });

  it("captures parameters, decoding them", () => {
    expect(match("incidents/{id}/notes/{noteId}", "/incidents/a%20b/notes/7")).toEqual({
      id: "a b",
      noteId: "7",
    });
  });

  it("handles optional parameters and defaults", () => {
    expect(match("greet/{name?}", "/greet")).toEqual({});
    expect(match("greet/{name?}", "/greet/bob")).toEqual({ name: "bob" });
    expect(match("page/{n=1}", "/page")).toEqual({ n: "1" });
  });

  it("captures the rest of the path with a catch-all", () => {
    expect(match("files/{*path}", "/files/a/b/c.txt")).toEqual({ path: "a/b/c.txt" });
    expect(match("files/{*path}", "/files")).toEqual({});
  });

  it("applies inline constraints as ASP.NET routing does", () => {
    expect(match("incidents/{id:int}", "/incidents/42")).toEqual({ id: "42" });
    expect(match("incidents/{id:int}", "/incidents/abc")).toBeUndefined();
    expect(match("runs/{id:guid}", "/runs/0f8fad5b-d9cb-469f-a165-70867728950e")).toBeDefined();
    expect(match("runs/{date:datetime}", "/runs/2025-01-01")).toEqual({ date: "2025-01-01" });
    expect(match("codes/{code:regex(^[A-Z]{{3}}$)}", "/codes/ABC")).toBeDefined();
    expect(match("items/{n:int:min(10)}", "/items/5")).toBeUndefined();
    expect(match("items/{n:unknownConstraint}", "/items/x")).toEqual({ n: "x" });
  });

  it("matches complex segments", () => {
    expect(match("reports/{name}.{ext}", "/reports/audit.pdf")).toEqual({ name: "audit", ext: "pdf" });
  });

  it("orders literal routes before parameter routes before catch-alls", () => {
    const routes = ["incidents/{*rest}", "incidents/{id}", "incidents/summary", "incidents/{id:int}"].map(
      parseRouteTemplate,
    );
    expect(routes.sort(compareRoutePrecedence).map((r) => r.template)).toEqual([
      "incidents/summary",
      "incidents/{id:int}",
      "incidents/{id}",
      "incidents/{*rest}",
    ]);
  });

  it("rejects malformed templates", () => {
    expect(() => parseRouteTemplate("a/{b")).toThrow(/unbalanced/);
    expect(() => parseRouteTemplate("{*a}/b")).toThrow(/catch-all/);
  });
});

import { mkdtemp, readFile, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { attachmentName } from "../../../src/cli/api-client.ts";
import { writeOutputFile } from "../../../src/cli/output-file.ts";
import { BinaryFile, type AnyProcedure } from "../../../src/shared/procedures/declaration.ts";
import { zipTexts } from "../../../src/shared/zip.ts";

const procedure = {
  name: "thing download",
  table: () => "THE TABLE\n",
  cli: { outputFile: { contents: () => ({ files: 1 }) } },
} as unknown as AnyProcedure;

function file(): BinaryFile {
  return new BinaryFile(
    "application/zip",
    "thing-20261202T040000Z.zip",
    zipTexts([{ path: "a.txt", text: "a" }], { modified: new Date() }),
  );
}

describe("the CLI's file answers", () => {
  it("writes to --output-file, to a folder under the file's own name, or to the current folder", async () => {
    const dir = await mkdtemp(join(tmpdir(), "phoenix-out-"));
    let out = "";
    const write = (t: string) => (out += t);
    const named = await writeOutputFile(
      procedure,
      file(),
      { output: "table", outputFile: "x.zip" },
      { cwd: dir, out: write },
    );
    expect(named).toBe(join(dir, "x.zip"));
    const inFolder = await writeOutputFile(
      procedure,
      file(),
      { output: "table", outputFile: dir },
      { cwd: "/", out: write },
    );
    expect(inFolder).toBe(join(dir, "thing-20261202T040000Z.zip"));
    expect((await readdir(dir)).sort()).toEqual(["thing-20261202T040000Z.zip", "x.zip"]);
    expect(await readFile(named)).toEqual(Buffer.from(file().bytes));
    expect(out).toContain(`Wrote ${named} (`);
    expect(out).toContain("THE TABLE");
    expect(out).not.toContain("PK\u0003\u0004");
  });

  it("reports JSON with --output json: path, size, type and what the file holds", async () => {
    const dir = await mkdtemp(join(tmpdir(), "phoenix-out-"));
    let out = "";
    const bytes = file().bytes.byteLength;
    const path = await writeOutputFile(
      procedure,
      file(),
      { output: "json" },
      { cwd: dir, out: (t) => (out += t) },
    );
    expect(JSON.parse(out)).toEqual({
      file: path,
      bytes,
      contentType: "application/zip",
      contents: { files: 1 },
    });
  });

  it("keeps only a bare file name from a server's Content-Disposition", () => {
    expect(attachmentName('attachment; filename="site-diagnostics.zip"')).toBe("site-diagnostics.zip");
    expect(attachmentName("attachment; filename=plain.zip")).toBe("plain.zip");
    expect(attachmentName(`attachment; filename="x.zip"; filename*=UTF-8''caf%C3%A9.zip`)).toBe("café.zip");
    expect(attachmentName('attachment; filename="../../etc/passwd"')).toBe("passwd");
    expect(attachmentName('attachment; filename="..\\\\..\\\\win.ini"')).toBe("win.ini");
    expect(attachmentName('attachment; filename=".."')).toBe("download");
    expect(attachmentName("attachment")).toBe("download");
  });
});

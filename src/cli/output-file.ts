import { stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { AnyProcedure, BinaryFile } from "../shared/procedures/declaration.ts";

/**
 * Writes a procedure's file answer where the operator asked (a folder takes the file's own name), or
 * as its own name in the current folder, and says where it went and what it holds. The bytes never
 * go to the terminal.
 */
export async function writeOutputFile(
  procedure: AnyProcedure,
  file: BinaryFile,
  flags: { output: "table" | "json"; outputFile?: string },
  options: { cwd: string; out: (text: string) => void },
): Promise<string> {
  let path = resolve(options.cwd, flags.outputFile ?? file.fileName);
  if (flags.outputFile && (await isFolder(path))) path = join(path, file.fileName);
  await writeFile(path, file.bytes);
  if (flags.output === "json") {
    const contents = procedure.cli?.outputFile?.contents(file) ?? null;
    options.out(
      `${JSON.stringify({ file: path, bytes: file.bytes.byteLength, contentType: file.contentType, contents }, null, 2)}\n`,
    );
  } else {
    options.out(
      `Wrote ${path} (${size(file.bytes.byteLength)})\n${procedure.table ? `\n${procedure.table(file)}` : ""}`,
    );
  }
  return path;
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

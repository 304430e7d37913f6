/**
 * Zip archives, written and read in memory.
 *
 * Why fflate (pinned 0.8.3): it is small, fast, well kept and has no dependencies, and its
 * synchronous API needs neither streams nor worker threads, which suits a Functions invocation
 * building a bundle of a few megabytes. Node has no zip writer of its own (only zlib's deflate).
 */
import { strFromU8, strToU8, unzipSync, zipSync } from "fflate";

export interface ZipEntry {
  path: string;
  text: string;
}

/** A zip of UTF-8 text files, deflated, each stamped with `modified`. */
export function zipTexts(entries: readonly ZipEntry[], options: { modified: Date }): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  for (const entry of entries) files[entry.path] = strToU8(entry.text);
  return zipSync(files, { level: 6, mtime: options.modified });
}

/** One file of a zip as text; undefined when the zip has no such file. */
export function unzipText(bytes: Uint8Array, path: string): string | undefined {
  const found = unzipSync(bytes, { filter: (file) => file.name === path })[path];
  return found ? strFromU8(found) : undefined;
}

/** Every file of a zip as text, by path. */
export function unzipTexts(bytes: Uint8Array): Record<string, string> {
  const files = unzipSync(bytes);
  return Object.fromEntries(Object.entries(files).map(([path, data]) => [path, strFromU8(data)]));
}

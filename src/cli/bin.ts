import { main } from "./main.ts";

/**
 * The built CLI (dist/cli.cjs). Run directly, it needs settings that name an app (or --direct);
 * bin/phoenix-ops.js loads it in-process and adds the checkout's local stack as a fallback.
 */
export { main };

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`phoenix-ops: ${String(error)}\n`);
      process.exitCode = 3;
    },
  );
}

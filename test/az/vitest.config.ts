import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/**
 * The az conformance tier (`npm run test:az`): Debian's azure-cli against a local stack. Its files end
 * in `.az.ts` so that the default `npm test` (which takes `*.test.ts`) leaves them out: they need az.
 */
export default defineConfig({
  test: {
    root: fileURLToPath(new URL("../..", import.meta.url)),
    include: ["test/az/**/*.az.ts"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: "forks",
  },
});

import { readFileSync } from "node:fs";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import tests from "../vitest.config";

/**
 * The proposals benchmark (ADR 0038) in workerd, on the real local bindings: the test setup of
 * vitest.config.ts with one more data blob, the SRD monsters PDF, read in place from
 * ../shared/corpus. `npm run bench:proposals` (named .bench.ts so `npm test` leaves it out).
 */
export default defineConfig(async (env) => {
  const config = await tests(env);
  const migrations = await readD1Migrations("migrations");
  return {
    ...config,
    plugins: [
      cloudflareTest({
        main: "./tests/worker.ts",
        remoteBindings: false,
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          dataBlobBindings: {
            CORPUS_RACES_PDF: "../shared/corpus/pdf/srd-races.pdf",
            CORPUS_MONSTERS_PDF: "../shared/corpus/pdf/srd-monsters.pdf",
            CORPUS_ALL_PDF: "../shared/corpus/pdf/srd-all.pdf",
          },
          bindings: {
            TEST_MIGRATIONS: migrations,
            WRANGLER_TOML: readFileSync("wrangler.toml", "utf8"),
            AI_PROVIDER: "local",
            SESSION_SECRET: "test-session-secret",
            API_TOKEN_KEYS: "test-1:test-api-token-key-one-0123456789abcdef",
          },
        },
      }),
    ],
    test: { ...config.test, include: ["tests/proposals.bench.ts"], testTimeout: 900_000 },
  };
});

import { readFileSync } from "node:fs";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// Workerd tests: every binding (D1, R2, KV, Durable Objects) is the real local one from
// wrangler.toml, emulated by miniflare, with the D1 migrations applied (tests/setup.ts).
export default defineConfig(async () => {
  const migrations = await readD1Migrations("migrations");
  return {
    plugins: [
      cloudflareTest({
        // A test-only entry: the real one imports React Router's virtual server build,
        // which exists only in a Vite build (docs/decisions/0004).
        main: "./tests/worker.ts",
        // Offline: AI and VECTORIZE are never proxied to Cloudflare.
        remoteBindings: false,
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // Real reference files for the extractor tests (read, never copied into the repo).
          dataBlobBindings: { CORPUS_RACES_PDF: "../shared/corpus/pdf/srd-races.pdf" },
          bindings: {
            TEST_MIGRATIONS: migrations,
            // The configuration as written, for tests that hold code to it (the rate limits' headers).
            WRANGLER_TOML: readFileSync("wrangler.toml", "utf8"),
            AI_PROVIDER: "local",
            SESSION_SECRET: "test-session-secret",
            // The operations page's operator and the /metrics token (tests/metrics.test.ts).
            OPERATOR_USERNAMES: "ops-operator",
            METRICS_TOKEN: "test-metrics-token",
            // Two API token keys: the first signs, the second (a rotated-out key) still verifies.
            API_TOKEN_KEYS:
              "test-2:test-api-token-key-two-0123456789abcdef,test-1:test-api-token-key-one-0123456789abcdef",
          },
        },
      }),
    ],
    resolve: { tsconfigPaths: true },
    test: {
      include: ["tests/**/*.test.ts"],
      setupFiles: ["./tests/setup.ts"],
      // The first test of a file may transform route modules (TSX) on a 2-core machine.
      testTimeout: 30_000,
    },
  };
});

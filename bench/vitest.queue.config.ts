import { defineConfig } from "vitest/config";
import tests from "../vitest.config";

/** The workerd test setup (bindings, migrations) running only the queue benchmark: `npx vitest run --config bench/vitest.queue.config.ts`. */
export default defineConfig(async (env) => {
  const config = await tests(env);
  return { ...config, test: { ...config.test, include: ["tests/queue-drain.bench.ts"], testTimeout: 900_000 } };
});

import { cloudflare } from "@cloudflare/vite-plugin";
import { reactRouter } from "@react-router/dev/vite";
import tailwindcss from "@tailwindcss/vite";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [
    // remoteBindings: false keeps dev and preview fully offline: AI and VECTORIZE are
    // never proxied to Cloudflare; the app uses its local adapters instead.
    cloudflare({ viteEnvironment: { name: "ssr" }, remoteBindings: false }),
    tailwindcss(),
    reactRouter(),
  ],
  resolve: { tsconfigPaths: true },
  server: {
    // Local R2/KV/D1 writes land in .wrangler/state; watching them reloads the page.
    watch: { ignored: ["**/.wrangler/**", "**/test-results/**", "**/playwright-report/**"] },
  },
});

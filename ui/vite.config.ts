import { defineConfig } from "vitest/config";
import vue from "@vitejs/plugin-vue";

// The build lands inside the Python package so the webserver serves it from where it is installed.
export default defineConfig({
  plugins: [vue()],
  build: { outDir: "../harrier/webserver/ui_dist", emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  server: { proxy: { "/api": process.env.HARRIER_API ?? "http://127.0.0.1:8080" } },
  test: { environment: "jsdom", include: ["src/**/*.test.ts"] },
});

// End-to-end tests against a running Harrier (HARRIER_UI_URL), in Debian's Chromium.
// tests/integration/ui/test_ui.py starts the stack and runs them; see e2e/README.md.
import { defineConfig } from "@playwright/test";

export default defineConfig({
  testDir: "e2e",
  // Two cores: one browser at a time leaves the rest to the stack under test.
  workers: 1,
  timeout: 60_000,
  expect: { timeout: 20_000 },
  reporter: [["list"]],
  use: {
    baseURL: process.env.HARRIER_UI_URL,
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath: process.env.HARRIER_CHROMIUM ?? "/usr/bin/chromium",
      // Without the background-networking flags Chromium keeps dialling out of a closed network.
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"],
    },
    trace: "off",
  },
});

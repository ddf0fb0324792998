import { expect, test } from "@playwright/test";
import { NAMESPACE, deploy, executionState, start } from "./harrier";
import { CuttableProxy } from "./proxy";

test("a lost live stream reconnects, and the logs fill the gap with every line once", async ({ page, request, baseURL }) => {
  const ticks = [1, 2, 3, 4, 5];
  await deploy(request, `id: ticks
namespace: ${NAMESPACE}
tasks:
${ticks.map((n) => `  - id: tick${n}
    type: io.kestra.plugin.core.log.Log
    message: tick-${n}
  - id: pause${n}
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT1.5S`).join("\n")}
`);
  const proxy = new CuttableProxy(new URL(baseURL!));
  const through = await proxy.start();
  const id = await start(request, "ticks");
  await page.goto(`${through}/executions/${id}/logs`);
  const line = (n: number) => page.getByTestId("log-line").filter({ hasText: new RegExp(`tick-${n}$`) });
  await expect(line(1)).toHaveCount(1);
  await expect(page.getByTestId("live")).toHaveText("live");

  // The connection drops while tick-2 and tick-3 are logged, and comes back later.
  proxy.cut();
  await expect(page.getByTestId("live")).toHaveText("reconnecting");
  await page.waitForTimeout(3500);
  proxy.restore();

  await expect(page.getByTestId("live")).toHaveText(/live|ended/);
  await expect(executionState(page)).toHaveText("SUCCESS");
  for (const n of ticks) await expect(line(n)).toHaveCount(1);
  await expect(page.getByTestId("log-count")).toHaveText(/^5 of 5 lines/);
  await proxy.stop();
});

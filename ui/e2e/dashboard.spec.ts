import { expect, test } from "@playwright/test";
import { NAMESPACE, deploy, shoot, start } from "./harrier";

test("the dashboard counts executions per state", async ({ page, request }) => {
  await deploy(request, `id: counted
namespace: ${NAMESPACE}
tasks:
  - id: hi
    type: io.kestra.plugin.core.log.Log
    message: counted
`);
  const id = await start(request, "counted");
  // Once indexed, the execution counts in the last 24 hours' SUCCESS total.
  await expect.poll(async () => (await (await request.get(`/api/v1/executions/${id}`)).json()).state?.current).toBe("SUCCESS");
  await page.goto("/dashboard");
  await expect(page.getByTestId("totals").locator('[data-state="SUCCESS"]')).toBeVisible();
  await expect(page.locator(".chart rect").first()).toBeAttached();
  await shoot(page, "dashboard");
});

import { expect, test } from "@playwright/test";
import { NAMESPACE, deploy, shoot, start } from "./harrier";

test("the logs page searches lines across executions", async ({ page, request }) => {
  await deploy(request, `id: chatty
namespace: ${NAMESPACE}
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "needle-{{ execution.id }}"
`);
  const id = await start(request, "chatty");
  await page.goto("/logs");
  const search = page.getByTestId("logs-search");
  // The line is searchable once the indexer shipped it: search until it shows.
  await expect(async () => {
    await search.fill(`needle-${id}`);
    await search.press("Enter");
    await expect(page.getByTestId("log-line")).toHaveCount(1, { timeout: 1000 });
  }).toPass({ timeout: 30_000 });
  await expect(page.getByTestId("log-line")).toContainText(`needle-${id}`);
  await shoot(page, "logs");
});

// The API docs with no network: /docs (Swagger UI) and /redoc (ReDoc) render from the
// webserver's own files, every request to another host aborted and none even attempted.
import { expect, test, type Page } from "@playwright/test";

/** Abort whatever the page asks of another host than the webserver; returns what it asked. */
async function offline(page: Page): Promise<string[]> {
  const own = new URL(test.info().project.use.baseURL ?? process.env.HARRIER_UI_URL ?? "").host;
  const foreign: string[] = [];
  await page.route("**/*", async (route) => {
    const url = new URL(route.request().url());
    if (url.protocol.startsWith("http") && url.host !== own) {
      foreign.push(url.href);
      await route.abort("internetdisconnected");
    } else {
      await route.continue();
    }
  });
  return foreign;
}

test("Swagger UI renders at /docs, the routes and Kestra's tenant routes among the operations", async ({ page }) => {
  const foreign = await offline(page);
  await page.goto("/docs");
  await expect(page.locator(".swagger-ui .info .title")).toContainText("Harrier");
  await expect(page.locator(".opblock-summary-path", { hasText: "/api/v1/{tenant}/executions/search" })).toBeVisible();
  await expect(page.locator(".opblock-summary-path", { hasText: "/api/v1/flows" }).first()).toBeVisible();
  expect(foreign).toEqual([]);
});

test("ReDoc renders at /redoc, its menu listing Kestra's routes and an operation opening from it", async ({ page }) => {
  const foreign = await offline(page);
  await page.goto("/redoc");
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Harrier");
  await page.getByRole("menuitem", { name: "executions", exact: true }).click();
  await page.getByRole("menuitem", { name: "Search Executions" }).first().click();
  await expect(page).toHaveURL(/#tag\/executions\/operation\//);
  await expect(page.getByRole("heading", { name: "Search Executions" }).last()).toBeVisible();
  await expect(page.getByText("/api/v1/{tenant}/executions/search").first()).toBeAttached();
  expect(foreign).toEqual([]);
});

// Against a webserver with basic auth on (HARRIER_UI_AUTH_URL, user HARRIER_UI_AUTH_USER with
// password HARRIER_UI_AUTH_PASSWORD), sharing the stack of the other specs.
import { expect, test } from "@playwright/test";
import { NAMESPACE, deploy, executionState } from "./harrier";

const url = process.env.HARRIER_UI_AUTH_URL ?? "";
const user = process.env.HARRIER_UI_AUTH_USER ?? "";
const password = process.env.HARRIER_UI_AUTH_PASSWORD ?? "";
const basic = "Basic " + Buffer.from(`${user}:${password}`).toString("base64");

// Pages start without credentials; only the API calls of the set-up carry them.
test.use({ baseURL: url });

test("a 401 leads to the login page, bad credentials are refused, good ones open the page asked for", async ({ browser }) => {
  expect(url, "HARRIER_UI_AUTH_URL must name the webserver with auth on").not.toBe("");
  const page = await browser.newPage();
  await page.goto("/executions");
  await expect(page).toHaveURL(/\/login\?next=(%2F|\/)executions$/);
  await page.locator('input[name="user"]').fill(user);
  await page.locator('input[name="password"]').fill("wrong");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator(".error")).toHaveText("Those credentials were refused.");
  await page.locator('input[name="password"]').fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/executions$/);
  await expect(page.getByTestId("executions")).toBeVisible();
  await expect(page.locator(".error")).toHaveCount(0);
  await page.close();
});

test("with credentials, the live stream of an execution carries them too", async ({ browser, playwright }) => {
  const request = await playwright.request.newContext({ baseURL: url, extraHTTPHeaders: { Authorization: basic } });
  const refused = await (await playwright.request.newContext({ baseURL: url })).get("/api/v1/flows");
  expect(refused.status()).toBe(401);
  await deploy(request, `id: guarded
namespace: ${NAMESPACE}
tasks:
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT2S
`);
  const created = await request.post(`/api/v1/executions/${NAMESPACE}/guarded`, { data: {} });
  expect(created.ok()).toBeTruthy();
  const id = (await created.json()).id as string;
  const page = await browser.newPage();
  await page.goto("/login");
  await page.locator('input[name="user"]').fill(user);
  await page.locator('input[name="password"]').fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/flows$/);
  await page.goto(`/executions/${id}`);
  await expect(page.getByTestId("live")).toHaveText(/live|ended/);
  await expect(executionState(page)).toHaveText("SUCCESS");
  await page.close();
});

// What the specs share: deploying flows and starting executions through the API, and the
// screenshots docs/ui.md shows (taken when HARRIER_UI_SCREENSHOTS names a folder).
import { expect, type APIRequestContext, type Page } from "@playwright/test";

export const NAMESPACE = "e2e";

export async function deploy(request: APIRequestContext, source: string): Promise<void> {
  const response = await request.post("/api/v1/flows", { data: source, headers: { "Content-Type": "application/x-yaml" } });
  expect(response.ok(), await response.text()).toBeTruthy();
}

export async function start(request: APIRequestContext, flowId: string, inputs: Record<string, unknown> = {}): Promise<string> {
  const response = await request.post(`/api/v1/executions/${NAMESPACE}/${flowId}`, { data: inputs });
  expect(response.ok(), await response.text()).toBeTruthy();
  return (await response.json()).id as string;
}

export async function shoot(page: Page, name: string): Promise<void> {
  const folder = process.env.HARRIER_UI_SCREENSHOTS;
  if (folder) await page.screenshot({ path: `${folder}/${name}.png` });
}

/** The state badge of the open execution page. */
export const executionState = (page: Page) => page.getByTestId("execution-state");

import { expect, test } from "@playwright/test";
import { NAMESPACE, shoot } from "./harrier";

// A new id each run, so the first save is revision 1 on any stack.
const FLOW = `edited-${Date.now()}`;
const WITH_TYPO = `id: ${FLOW}
namespace: ${NAMESPACE}
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Lg
    message: hi
`;

test("a typo is marked at its line, and the fixed flow saves as a revision", async ({ page }) => {
  await page.goto("/flows/new");
  const content = page.locator(".cm-content");
  await content.click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.insertText(WITH_TYPO);

  const problem = page.getByTestId("problems").locator("li");
  await expect(problem).toHaveCount(1);
  await expect(problem).toHaveAttribute("data-line", "5");
  await expect(problem).toContainText("unknown task type 'io.kestra.plugin.core.log.Lg'; did you mean 'io.kestra.plugin.core.log.Log'?");
  // The editor underlines the problem on the fifth line itself.
  await expect(page.locator(".cm-line").nth(4).locator(".cm-lintRange-error")).toHaveCount(1);
  await expect(page.locator(".cm-lint-marker-error")).toHaveCount(1);
  await shoot(page, "editor-problem");

  await content.click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.insertText(WITH_TYPO.replace("log.Lg", "log.Log"));
  await expect(page.getByTestId("problems")).toHaveCount(0);
  await page.getByTestId("save").click();
  await expect(page.getByTestId("saved")).toHaveText("Saved: revision 1");
  await expect(page).toHaveURL(new RegExp(`/flows/${NAMESPACE}/${FLOW}$`));

  // A second save of a changed source is revision 2, and the revisions tab diffs them.
  await content.click();
  await page.keyboard.press("ControlOrMeta+End");
  await page.keyboard.insertText("description: now with a description\n");
  await page.getByTestId("save").click();
  await expect(page.getByTestId("saved")).toHaveText("Saved: revision 2");
  await page.locator('[data-tab="revisions"]').click();
  await expect(page.getByTestId("diff")).toContainText("now with a description");
});

test("a flow that does not exist shows a not-found page", async ({ page }) => {
  await page.goto(`/flows/${NAMESPACE}/no-such-flow`);
  await expect(page.locator(".not-found")).toContainText(`There is no flow ${NAMESPACE}/no-such-flow`);
});

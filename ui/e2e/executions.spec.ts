import { expect, test } from "@playwright/test";
import { NAMESPACE, deploy, executionState, shoot, start } from "./harrier";

test.beforeAll(async ({ request }) => {
  await deploy(request, `id: greet
namespace: ${NAMESPACE}
labels:
  team: e2e
inputs:
  - id: name
    type: STRING
  - id: times
    type: INT
    defaults: 2
triggers:
  - id: nightly
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 3 * * *"
tasks:
  - id: before
    type: io.kestra.plugin.core.log.Log
    message: "starting for {{ inputs.name }}"
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT2S
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: "{{ range(1, inputs.times) }}"
    tasks:
      - id: hello
        type: io.kestra.plugin.core.log.Log
        message: "Hello {{ inputs.name }} #{{ taskrun.value }}"
`);
  await deploy(request, `id: long-sleep
namespace: ${NAMESPACE}
tasks:
  - id: sleep
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT5M
`);
  await deploy(request, `id: approval
namespace: ${NAMESPACE}
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: reason
        type: STRING
  - id: decided
    type: io.kestra.plugin.core.log.Log
    message: "resumed because {{ outputs.wait.onResume.reason }}"
`);
  await deploy(request, `id: fails-once
namespace: ${NAMESPACE}
tasks:
  - id: flaky
    type: io.kestra.plugin.core.execution.Fail
    condition: "{{ taskrun.attemptsCount == 0 }}"
    errorMessage: first attempt fails
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: recovered after restart
`);
});

test("the run form starts an execution whose Gantt and logs update live to SUCCESS", async ({ page }) => {
  await page.goto(`/flows/${NAMESPACE}/greet/run`);
  await expect(page.locator('[data-input="times"] input')).toHaveValue("2");
  await page.locator('[data-input="name"] input').fill("Playwright");
  await shoot(page, "run-form");
  await page.getByRole("button", { name: "Execute" }).click();

  await expect(page).toHaveURL(/\/executions\/[0-9a-f]{32}$/);
  await expect(executionState(page)).toHaveText(/RUNNING|CREATED/);
  await expect(page.getByTestId("live")).toHaveText("live");
  await expect(page.locator('[data-task="nap"]')).toHaveAttribute("data-state", "RUNNING");
  await expect(executionState(page)).toHaveText("SUCCESS");
  await expect(page.locator('[data-task="hello × 2"]')).toHaveAttribute("data-state", "SUCCESS");
  await shoot(page, "execution-gantt");

  await page.locator('[data-tab="logs"]').click();
  await expect(page.getByTestId("log-line").filter({ hasText: "Hello Playwright #2" })).toHaveCount(1);
  await page.getByTestId("log-search").fill("starting");
  await expect(page.getByTestId("log-line")).toHaveCount(1);
  await shoot(page, "execution-logs");

  await page.locator('[data-tab="topology"]').click();
  await expect(page.locator('[data-task="hello"]')).toHaveAttribute("data-state", "SUCCESS");
  await shoot(page, "execution-topology");
});

test("the run form shows the API's error for a bad input", async ({ page }) => {
  await page.goto(`/flows/${NAMESPACE}/greet/run`);
  await page.locator('[data-input="name"] input').fill("x");
  await page.locator('[data-input="times"] input').evaluate((el: HTMLInputElement) => { el.type = "text"; });
  await page.locator('[data-input="times"] input').fill("abc");
  await page.getByRole("button", { name: "Execute" }).click();
  await expect(page.locator('[data-input="times"] .error')).toContainText("input 'times': expected an integer, got 'abc'");
});

test("killing a long Sleep ends the execution KILLED", async ({ page, request }) => {
  const id = await start(request, "long-sleep");
  await page.goto(`/executions/${id}`);
  await expect(executionState(page)).toHaveText("RUNNING");
  await page.getByTestId("kill").click();
  await expect(executionState(page)).toHaveText("KILLED");
  await expect(page.getByTestId("kill")).toHaveCount(0);
});

test("a Pause resumes with its onResume input", async ({ page, request }) => {
  const id = await start(request, "approval");
  await page.goto(`/executions/${id}`);
  await expect(executionState(page)).toHaveText("PAUSED");
  const panel = page.getByTestId("resume-panel");
  await panel.locator('[data-input="reason"] input').fill("looks good");
  await shoot(page, "execution-paused");
  await panel.getByRole("button", { name: "Resume" }).click();
  await expect(executionState(page)).toHaveText("SUCCESS");
  await page.locator('[data-tab="logs"]').click();
  await expect(page.getByTestId("log-line").filter({ hasText: "resumed because looks good" })).toHaveCount(1);
});

test("a failed execution restarts and succeeds", async ({ page, request }) => {
  const id = await start(request, "fails-once");
  await page.goto(`/executions/${id}`);
  await expect(executionState(page)).toHaveText("FAILED");
  await page.getByTestId("restart").click();
  await expect(executionState(page)).toHaveText("SUCCESS");
  // The failed task ran again as a second attempt, and the history keeps the failure.
  await expect(page.locator('[data-task="flaky"]')).toContainText("(2 attempts)");
  await page.locator('[data-tab="overview"]').click();
  await expect(page.locator(".overview")).toContainText(/FAILED.*RUNNING.*SUCCESS/);
});

test("the executions list filters by flow and state, and shows new executions", async ({ page, request }) => {
  const id = await start(request, "long-sleep");
  await page.goto(`/executions?namespace=${NAMESPACE}&flowId=long-sleep&state=RUNNING`);
  await expect(page.locator(`[data-execution="${id}"]`)).toHaveAttribute("data-state", "RUNNING");
  await shoot(page, "executions");
  await request.delete(`/api/v1/executions/${id}/kill`);
  // The list refreshes itself: the killed execution leaves the RUNNING filter.
  await expect(page.locator(`[data-execution="${id}"]`)).toHaveCount(0);
});

test("the flows list finds a flow and shows its last execution and triggers", async ({ page }) => {
  await page.goto("/flows");
  await page.getByTestId("flow-search").fill("greet");
  await expect(page).toHaveURL(/q=greet/);
  await expect(page.locator("[data-flow]")).toHaveCount(1);
  const row = page.locator(`[data-flow="${NAMESPACE}/greet"]`);
  await expect(row).toContainText("team: e2e");
  await expect(row.locator(".badge")).toHaveText("SUCCESS");
  await shoot(page, "flows");
  await row.getByRole("link", { name: "greet" }).click();
  await page.locator('[data-tab="triggers"]').click();
  await expect(page.getByTestId("triggers")).toContainText("0 3 * * *");
  await page.locator('[data-tab="topology"]').click();
  await expect(page.locator('[data-task="hello"]')).toBeVisible();
  await shoot(page, "flow-topology");
});

test("an execution that does not exist shows a not-found page", async ({ page }) => {
  await page.goto("/executions/0123456789abcdef0123456789abcdef");
  await expect(page.locator(".not-found")).toContainText("There is no execution", { timeout: 30_000 });
});

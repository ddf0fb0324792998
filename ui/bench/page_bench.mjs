// The UI's page measurements for benchmarks/ui_bench.py, in Debian's Chromium. One mode a run;
// the result is one JSON line on stdout (the `states` mode first prints READY and waits).
//   node page_bench.mjs big    URL EXECUTION_ID EXPECTED_LINES
//   node page_bench.mjs flows  URL EXPECTED_FLOWS SEARCHED_ID
//   node page_bench.mjs states URL ID,ID,...
import { chromium } from "@playwright/test";
import { createInterface } from "node:readline";

const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--enable-precise-memory-info",
  // 50 pages at once: none may be throttled as a background tab.
  "--disable-background-timer-throttling", "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows"];

// Records, in each page, when a selector first matched (ms since the navigation started).
function markFirst(selectors) {
  window.__marks = {};
  const check = () => {
    for (const [name, selector] of Object.entries(selectors)) {
      if (!(name in window.__marks) && document.querySelector(selector)) window.__marks[name] = performance.now();
    }
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true, characterData: true });
}

const [mode, url, ...rest] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: process.env.HARRIER_CHROMIUM ?? "/usr/bin/chromium", args: ARGS });
const out = (value) => process.stdout.write(JSON.stringify(value) + "\n");

async function metrics(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable");
  await cdp.send("HeapProfiler.collectGarbage");
  const { metrics } = await cdp.send("Performance.getMetrics");
  const get = (name) => metrics.find((m) => m.name === name)?.value ?? null;
  return { heap_mb: get("JSHeapUsedSize") / 2 ** 20, dom_nodes: get("Nodes") };
}

/** Scroll the log list one step a frame and time the frames. */
async function scrollFrames(page, frames) {
  return page.evaluate(async (count) => {
    const el = document.querySelector('[data-testid="logs"]');
    const times = [];
    let last = performance.now();
    for (let i = 0; i < count; i++) {
      await new Promise((resolve) => requestAnimationFrame(resolve));
      const now = performance.now();
      times.push(now - last);
      last = now;
      el.scrollTop += 400;
    }
    return times;
  }, frames);
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

try {
  if (mode === "big") {
    const [id, expected] = rest;
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.addInitScript(markFirst, { gantt: '[data-testid="gantt"] .row', header: '[data-testid="execution-state"]' });
    await page.goto(`${url}/executions/${id}`);
    await page.waitForSelector('[data-testid="gantt"] .row');
    const opened = await page.evaluate(() => window.__marks);
    // The logs tab: its first lines, then all of them.
    const tabStart = await page.evaluate(() => performance.now());
    await page.locator('[data-tab="logs"]').click();
    await page.waitForSelector('[data-testid="log-line"]');
    const firstLines = (await page.evaluate(() => performance.now())) - tabStart;
    await page.waitForFunction((n) => document.querySelector('[data-testid="log-count"]')?.textContent?.startsWith(`${n} of ${n} lines`) && !document.querySelector('[data-testid="log-count"]').textContent.includes("loading"), Number(expected), { timeout: 300_000, polling: 200 });
    const allLines = (await page.evaluate(() => performance.now())) - tabStart;
    await page.evaluate(() => { document.querySelector('[data-testid="logs"]').scrollTop = 0; });
    const frames = await scrollFrames(page, 240);
    const memory = await metrics(page);
    out({
      header_ms: opened.header, gantt_ms: opened.gantt, logs_first_ms: firstLines, logs_all_ms: allLines,
      frame_p50_ms: quantile(frames, 0.5), frame_p95_ms: quantile(frames, 0.95), frame_max_ms: Math.max(...frames),
      frames: frames.length, ...memory,
    });
  } else if (mode === "flows") {
    const [expected, searched] = rest;
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.addInitScript(markFirst, { rows: '[data-testid="flows"] tbody tr[data-flow]' });
    await page.goto(`${url}/flows`);
    await page.waitForFunction((n) => document.querySelector(".pager")?.textContent?.includes(`${n} flows`), Number(expected), { timeout: 60_000 });
    const loaded = await page.evaluate(() => ({ rows: window.__marks.rows, total: performance.now() }));
    // A search typed in the box: from the last key to the filtered rows.
    const searchStart = Date.now();
    await page.getByTestId("flow-search").fill(searched);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="flows"] tbody tr[data-flow]').length === 1, null, { timeout: 30_000 });
    out({ rows_ms: loaded.rows, counted_ms: loaded.total, search_ms: Date.now() - searchStart, ...(await metrics(page)) });
  } else if (mode === "states") {
    const ids = rest[0].split(",");
    const pages = [];
    for (const id of ids) {
      // A context per page, as 50 users would have: one browser profile opens at most six
      // HTTP/1.1 connections to a host, and every open execution page holds one stream.
      const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
      const page = await context.newPage();
      await page.goto(`${url}/executions/${id}`);
      await page.waitForSelector('[data-testid="live"]:text("live")');
      await page.evaluate(() => {
        window.__success = null;
        const badge = () => document.querySelector('[data-testid="execution-state"]');
        new MutationObserver(() => {
          if (window.__success === null && badge()?.textContent === "SUCCESS") window.__success = Date.now();
        }).observe(document.body, { childList: true, subtree: true, characterData: true });
      });
      pages.push([id, page]);
    }
    out("READY");
    // Wait for the go-ahead (the resumes are sent by the caller), then for every page.
    await new Promise((resolve) => createInterface({ input: process.stdin }).once("line", resolve));
    const seen = {};
    for (const [id, page] of pages) {
      await page.waitForFunction(() => window.__success !== null, null, { timeout: 60_000, polling: 50 });
      seen[id] = await page.evaluate(() => window.__success);
    }
    out(seen);
  } else {
    throw new Error(`unknown mode ${mode}: big, flows or states`);
  }
} finally {
  await browser.close();
}

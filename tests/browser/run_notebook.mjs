// run_notebook.mjs: Chromium, driven by Playwright, opens a notebook in a
// running JupyterLab, runs all its cells from the Run menu as a person would,
// and checks what the page shows:
//   - every code cell ran (has an execution count; a failing cell stops Run All);
//   - no cell shows an error: no error output, no GoNB compile error, no
//     "panic" or "exit status" on stderr;
//   - the cell that plots "Training loss of every batch, moving average of 50"
//     shows a visible picture (<img> or <svg>) of non-zero size.
// A screenshot of that plot (of the page, on failure) goes to $SCREENSHOT.
// Exits 0 when all holds, 1 with the reasons otherwise.
//
// Started by test_browser.sh, which sets LAB_URL, LAB_TOKEN, LAB_NOTEBOOK,
// SCREENSHOT, CHROMIUM and BROWSER_TEST_TIMEOUT (seconds for Run All).
import { env, labAPI, readSaved, runTest, sleep, TestFailure } from './common.mjs';

const LAB_URL = env('LAB_URL');
const TOKEN = env('LAB_TOKEN');
const NOTEBOOK = env('LAB_NOTEBOOK');
const SCREENSHOT = env('SCREENSHOT');
const RUN_TIMEOUT_MS = Number(env('BROWSER_TEST_TIMEOUT', '600')) * 1000;
const PLOT_TITLE = 'Training loss of every batch, moving average of 50';

const t0 = Date.now();
const secs = () => ((Date.now() - t0) / 1000).toFixed(0) + 's';
const log = (msg) => console.log(`browser: [${secs()}] ${msg}`);

const api = labAPI(LAB_URL, TOKEN);

// The execution state of the notebook's kernel, from the server: idle, busy,
// starting, dead...; undefined while there is no session.
async function kernelState() {
  const sessions = await api('/api/sessions');
  const s = sessions.find((s) => s.path === NOTEBOOK || s.notebook?.path === NOTEBOOK);
  return s?.kernel?.execution_state;
}

// The prompts of the code cells, in order: "[3]:", "[*]:", "[ ]:".
const prompts = (page) =>
  page.$$eval('.jp-Notebook .jp-CodeCell .jp-InputPrompt', (els) => els.map((e) => e.textContent.trim()));

// The index of the first code cell that failed, to show it in the screenshot.
let firstBad;

async function main(page) {
  const problems = [];
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  page.on('dialog', (d) => d.dismiss().catch(() => {}));

  log(`opening ${NOTEBOOK} in Chromium`);
  await page.goto(`${LAB_URL}/lab/tree/${encodeURIComponent(NOTEBOOK)}?reset&token=${TOKEN}`, { timeout: 120_000 });
  // Wait until every code cell of the file is on the page.
  const file = (await api(`/api/contents/${encodeURIComponent(NOTEBOOK)}?content=1`)).content;
  const nCells = file.cells.filter((c) => c.cell_type === 'code').length;
  for (let n = 0; (n = (await prompts(page)).length) < nCells; ) {
    if (Date.now() - t0 > 120_000) throw new TestFailure(`${n} of the ${nCells} code cells shown after 120s`);
    await sleep(500);
  }
  log(`notebook open: ${nCells} code cells; waiting for the kernel`);
  for (let state; (state = await kernelState()) !== 'idle'; ) {
    if (state === 'dead') throw new TestFailure('the kernel died at start');
    if (Date.now() - t0 > 180_000) throw new TestFailure(`the kernel is not idle after 180s (state: ${state})`);
    await sleep(500);
  }
  // A dialog (no kernel, kernel choice...) would block the run.
  const dialog = page.locator('.jp-Dialog');
  if (await dialog.count()) throw new TestFailure(`a dialog is open: ${await dialog.first().innerText()}`);

  log('kernel idle; Run > Run All Cells');
  await page.locator('.lm-MenuBar-itemLabel', { hasText: /^Run$/ }).click();
  await page.locator('.lm-Menu-item:visible', { hasText: /^Run All Cells/ }).first().click();

  // Done: Run All started (a cell is queued or has run), no cell is queued
  // or running any more, and the kernel is idle, twice in a row.
  const start = Date.now();
  let started = false, quiet = 0, lastReport = 0, p = [];
  for (;;) {
    p = await prompts(page);
    const running = p.findIndex((x) => x.includes('*'));
    const done = p.filter((x) => /\[\d+\]/.test(x)).length;
    started ||= running >= 0 || done > 0;
    const state = await kernelState();
    if (state === 'dead') throw new TestFailure(`the kernel died (${done} of ${nCells} code cells had run)`);
    quiet = started && running < 0 && state === 'idle' ? quiet + 1 : 0;
    if (quiet >= 2) break;
    if (Date.now() - lastReport > 15_000) {
      lastReport = Date.now();
      log(`${done}/${nCells} code cells done` + (running >= 0 ? `, code cell ${running + 1} running` : '') + `, kernel ${state}`);
    }
    if (Date.now() - start > RUN_TIMEOUT_MS) {
      throw new TestFailure(`Run All did not finish in ${RUN_TIMEOUT_MS / 1000}s: prompts ${p.join(' ')}`);
    }
    await sleep(1000);
  }
  log(`Run All finished in ${((Date.now() - start) / 1000).toFixed(0)}s: prompts ${p.join(' ')}`);

  // (b) Every code cell ran; a failure stops Run All, leaving the rest at [ ].
  const notRun = p.map((x, i) => (/\[\d+\]/.test(x) ? null : i + 1)).filter((x) => x !== null);
  if (notRun.length) problems.push(`code cells without an execution count: ${notRun.join(', ')} (a cell before them failed?)`);

  // (b) No error on the page: GoNB's compile errors (HTML with gonb-err-*),
  // a panic or a non-zero exit on stderr.
  const pageErrors = await page.$$eval('.jp-Notebook .jp-CodeCell', (cells) =>
    cells.flatMap((cell, i) =>
      [...cell.querySelectorAll('.jp-OutputArea-output')]
        .filter((o) =>
          o.querySelector('.gonb-err-location, .gonb-err-context') ||
          (o.matches('[data-mime-type="application/vnd.jupyter.stderr"]') && /panic|exit status/i.test(o.innerText)))
        .map((o) => ({ i, text: o.innerText.replace(/\s+/g, ' ').trim().slice(0, 300) }))));
  for (const e of pageErrors) problems.push(`code cell ${e.i + 1} shows an error: ${e.text}`);
  firstBad = pageErrors[0]?.i ?? (notRun.length ? notRun[0] - 2 : undefined);

  // (b) No error output in the notebook model: save it (the copy in the
  // server's temporary folder) and read it back through the server.
  await page.locator('.jp-Notebook').first().click({ position: { x: 5, y: 5 } }).catch(() => {});
  await page.keyboard.press('Control+s');
  const saved = await readSaved(api, NOTEBOOK, (nb) =>
    nb.cells.filter((c) => c.cell_type === 'code' && c.execution_count != null).length === nCells - notRun.length, log);
  saved.cells.filter((c) => c.cell_type === 'code').forEach((c, i) => {
    for (const o of c.outputs || []) {
      if (o.output_type === 'error') problems.push(`code cell ${i + 1}: error output ${o.ename}: ${o.evalue}`.slice(0, 600));
    }
  });

  // (a) The loss plot: a visible <svg> of non-zero size in the output of the
  // cell whose source draws it.
  const cell = page.locator('.jp-Notebook .jp-CodeCell').filter({
    has: page.locator('.jp-InputArea', { hasText: PLOT_TITLE }),
  });
  if ((await cell.count()) !== 1) {
    problems.push(`expected one code cell whose source contains "${PLOT_TITLE}", found ${await cell.count()}`);
  } else {
    const svg = cell.locator('.jp-OutputArea-output svg, .jp-OutputArea-output img').first();
    if (!(await svg.count())) {
      problems.push(`the "${PLOT_TITLE}" cell shows no picture`);
    } else {
      await svg.scrollIntoViewIfNeeded();
      const box = await svg.boundingBox();
      if (!(await svg.isVisible()) || !box || box.width < 1 || box.height < 1) {
        problems.push(`the loss plot is not visible (box ${JSON.stringify(box)})`);
      } else {
        log(`loss plot visible: ${box.width.toFixed(0)}x${box.height.toFixed(0)} px`);
        await cell.locator('.jp-OutputArea').screenshot({ path: SCREENSHOT });
        log(`screenshot of the plot cell's output: ${SCREENSHOT}`);
      }
    }
  }
  return problems;
}

await runTest('browser', secs, main, async (page, problems) => {
  if (firstBad >= 0) {
    await page.locator('.jp-Notebook .jp-CodeCell').nth(firstBad).locator('.jp-OutputArea')
      .scrollIntoViewIfNeeded({ timeout: 5000 }).catch(() => {});
  }
  await page.screenshot({ path: SCREENSHOT }).then(
    () => log(`screenshot of the page: ${SCREENSHOT}`),
    (e) => log(`no screenshot: ${e.message}`));
  const dialogText = await page.locator('.jp-Dialog').allInnerTexts().catch(() => []);
  if (dialogText.length) problems.push(`open dialog: ${dialogText.join(' | ')}`);
});
log(`${NOTEBOOK}: all code cells ran, no error shown, loss plot visible`);

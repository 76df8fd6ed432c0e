// draw_digits.mjs: Chromium, driven by Playwright, draws a 1, a 7 and a 0
// with mouse strokes on the canvas of the draw package and checks the digit
// each model shows. Two places, chosen by DRAW_MODE:
//   - "page": the page of `digits serve` at SERVE_URL;
//   - "notebook": tests/browser/draw_widget.ipynb (LAB_NOTEBOOK) in the
//     JupyterLab at LAB_URL (token LAB_TOKEN): Run All, draw on the canvas
//     the last cell shows, press Done, then check that the cell ended and
//     left a static picture of the last answer (an <img>, no canvas), also
//     in the saved file.
// The models are named by DRAW_MODELS (comma separated, "MLP,CNN"); each
// must show the drawn digit. A screenshot per digit, and one of the end,
// go to SCREENSHOT_DIR as draw-<mode>-<digit>.png. The answers are printed
// as "answer: <mode> drew 7: MLP 7 (0.98), CNN 7 (1.00)".
// Exits 0 when all holds, 1 with the reasons otherwise.
//
// Started by test_draw.sh, which sets these variables and CHROMIUM.
import { env, labAPI, readSaved, runTest, sleep, TestFailure } from './common.mjs';

const MODE = env('DRAW_MODE');
const MODELS = env('DRAW_MODELS', 'MLP,CNN').split(',');
const SCREENSHOT_DIR = env('SCREENSHOT_DIR');
const RUN_TIMEOUT_MS = Number(env('BROWSER_TEST_TIMEOUT', '600')) * 1000;

const t0 = Date.now();
const secs = () => ((Date.now() - t0) / 1000).toFixed(0) + 's';
const log = (msg) => console.log(`draw ${MODE}: [${secs()}] ${msg}`);

// The digits, as strokes in canvas pixels (the canvas is 280x280): what a
// student draws with the mouse, large and in the middle.
const ellipse = (cx, cy, rx, ry, n) =>
  Array.from({ length: n + 1 }, (_, i) => [cx + rx * Math.sin((2 * Math.PI * i) / n), cy - ry * Math.cos((2 * Math.PI * i) / n)]);
const DIGITS = [
  { digit: 1, strokes: [[[150, 45], [140, 235]]] },
  { digit: 7, strokes: [[[75, 55], [205, 55], [170, 140], [135, 235]]] },
  { digit: 0, strokes: [ellipse(140, 140, 60, 90, 36)] },
];

// draw moves the mouse along the strokes over the canvas element.
async function draw(page, canvas, strokes) {
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  if (!box || box.width < 100) throw new TestFailure(`the canvas is not visible (box ${JSON.stringify(box)})`);
  const at = ([x, y]) => [box.x + (x * box.width) / 280, box.y + (y * box.height) / 280];
  for (const stroke of strokes) {
    await page.mouse.move(...at(stroke[0]));
    await page.mouse.down();
    for (const p of stroke.slice(1)) await page.mouse.move(...at(p), { steps: 8 });
    await page.mouse.up();
  }
}

// answerOf waits until the canvas's root says the answer shown is the
// answer for the drawing (data-pending="0" and an answer shown), and returns
// {model: {digit, score}}.
async function answerOf(root, what) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const state = await root.evaluate((r) => ({
      pending: r.dataset.pending,
      status: r.querySelector('.digits-status')?.textContent ?? '',
      models: [...r.querySelectorAll('.digits-live .digits-model')].map((m) => ({
        name: m.dataset.model, digit: Number(m.dataset.digit), text: m.textContent })),
    }));
    if (state.pending === '0' && state.models.length) return state.models;
    if (state.pending === '0' && /^No answer|^draw:/.test(state.status)) throw new TestFailure(`${what}: ${state.status}`);
    if (Date.now() > deadline) throw new TestFailure(`${what}: no answer after 60s (pending ${state.pending}, status "${state.status}")`);
    await sleep(100);
  }
}

// drawDigits draws each digit on a cleared canvas, checks the digit every
// model shows, and keeps a screenshot of root.
async function drawDigits(page, root, problems) {
  const canvas = root.locator('canvas.digits-canvas');
  const results = [];
  for (const { digit, strokes } of DIGITS) {
    await root.locator('button.digits-clear').click();
    await draw(page, canvas, strokes);
    const models = await answerOf(root, `the drawn ${digit}`);
    const line = models.map((m) => m.text).join(', ');
    log(`answer: ${MODE} drew ${digit}: ${line}`);
    results.push({ digit, models });
    const shot = `${SCREENSHOT_DIR}/draw-${MODE}-${digit}.png`;
    await root.screenshot({ path: shot });
    const names = models.map((m) => m.name);
    if (names.join(',') !== MODELS.join(',')) problems.push(`drew ${digit}: the answer names the models ${names}, want ${MODELS}`);
    for (const m of models) {
      if (m.digit !== digit) problems.push(`drew ${digit}: ${m.name} shows ${m.digit} ("${m.text}"; screenshot ${shot})`);
    }
  }
  return results;
}

async function testPage(page) {
  const problems = [];
  const url = env('SERVE_URL');
  log(`opening ${url}`);
  await page.goto(url);
  const root = page.locator('#digits-draw');
  await root.locator('canvas.digits-canvas').waitFor();
  await drawDigits(page, root, problems);
  return problems;
}

async function testNotebook(page) {
  const LAB_URL = env('LAB_URL');
  const TOKEN = env('LAB_TOKEN');
  const NOTEBOOK = env('LAB_NOTEBOOK');
  const api = labAPI(LAB_URL, TOKEN);
  const kernelState = async () => {
    const s = (await api('/api/sessions')).find((s) => s.path === NOTEBOOK || s.notebook?.path === NOTEBOOK);
    return s?.kernel?.execution_state;
  };
  const prompts = () => page.$$eval('.jp-Notebook .jp-CodeCell .jp-InputPrompt', (els) => els.map((e) => e.textContent.trim()));
  const problems = [];
  page.on('dialog', (d) => d.dismiss().catch(() => {}));

  log(`opening ${NOTEBOOK} in JupyterLab`);
  await page.goto(`${LAB_URL}/lab/tree/${encodeURIComponent(NOTEBOOK)}?reset&token=${TOKEN}`, { timeout: 120_000 });
  const file = (await api(`/api/contents/${encodeURIComponent(NOTEBOOK)}?content=1`)).content;
  const nCells = file.cells.filter((c) => c.cell_type === 'code').length;
  for (let n; (n = (await prompts()).length) < nCells; await sleep(500)) {
    if (Date.now() - t0 > 120_000) throw new TestFailure(`${n} of the ${nCells} code cells shown after 120s`);
  }
  for (let state; (state = await kernelState()) !== 'idle'; await sleep(500)) {
    if (state === 'dead') throw new TestFailure('the kernel died at start');
    if (Date.now() - t0 > 180_000) throw new TestFailure(`the kernel is not idle after 180s (state: ${state})`);
  }
  log('kernel idle; Run > Run All Cells');
  await page.locator('.lm-MenuBar-itemLabel', { hasText: /^Run$/ }).click();
  await page.locator('.lm-Menu-item:visible', { hasText: /^Run All Cells/ }).first().click();

  // The last code cell shows the canvas: wait for it (the cells before it
  // compile and load the models).
  const lastCell = page.locator('.jp-Notebook .jp-CodeCell').last();
  const canvas = lastCell.locator('canvas.digits-canvas');
  const start = Date.now();
  for (;;) {
    if (await canvas.count()) break;
    const p = await prompts();
    if (p.slice(0, -1).some((x) => /\[\d+\]/.test(x)) && !p.some((x) => x.includes('*'))) {
      const text = await lastCell.locator('.jp-OutputArea').innerText().catch(() => '');
      throw new TestFailure(`the cells ran and ended without a canvas (prompts ${p.join(' ')}); last cell shows: ${text.slice(0, 500)}`);
    }
    const errors = await page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').allInnerTexts();
    const bad = errors.find((e) => /panic|exit status/i.test(e));
    if (bad) throw new TestFailure(`a cell failed: ${bad.slice(0, 500)}`);
    if (Date.now() - start > RUN_TIMEOUT_MS) throw new TestFailure(`no canvas after ${RUN_TIMEOUT_MS / 1000}s: prompts ${p.join(' ')}`);
    await sleep(250);
  }
  log(`canvas shown after ${((Date.now() - start) / 1000).toFixed(0)}s`);
  const root = lastCell.locator('[data-pending]').first();
  const results = await drawDigits(page, root, problems);

  // Done ends the cell, which replaces the canvas by a static picture of
  // the last answer (the 0).
  await root.locator('button.digits-done').click();
  log('Done pressed; waiting for the cell to end');
  for (let quiet = 0; quiet < 2; await sleep(500)) {
    const p = await prompts();
    quiet = !p.some((x) => x.includes('*')) && (await kernelState()) === 'idle' ? quiet + 1 : 0;
    if (Date.now() - start > RUN_TIMEOUT_MS) throw new TestFailure(`the cell still runs after Done: prompts ${p.join(' ')}`);
  }
  const img = lastCell.locator('.digits-answer img');
  if ((await lastCell.locator('canvas').count()) !== 0) problems.push('the canvas is still shown after Done');
  if (!(await img.count()) || !(await img.first().isVisible())) {
    problems.push('no static picture of the answer after Done');
  } else {
    const src = await img.first().getAttribute('src');
    if (!src.startsWith('data:image/png;base64,')) problems.push(`the static picture is not a PNG data URL: ${src.slice(0, 40)}`);
  }
  const caption = await lastCell.locator('.digits-caption').first().innerText().catch(() => '');
  const last = results[results.length - 1];
  if (!caption.startsWith('Your last drawing:') || !last.models.every((m) => caption.includes(m.text))) {
    problems.push(`the static caption "${caption}" is not the answer for the last drawing (${last.models.map((m) => m.text).join(', ')})`);
  }
  await lastCell.locator('.jp-OutputArea').screenshot({ path: `${SCREENSHOT_DIR}/draw-notebook-done.png` });

  // The saved notebook keeps that picture: save, read the file back.
  await page.locator('.jp-Notebook').first().click({ position: { x: 5, y: 5 } }).catch(() => {});
  await page.keyboard.press('Control+s');
  const lastHTML = (nb) => {
    const cell = nb.cells.filter((c) => c.cell_type === 'code').at(-1);
    return (cell.outputs || []).map((o) => [o.data?.['text/html'] ?? ''].flat().join('')).join('\n');
  };
  const html = lastHTML(await readSaved(api, NOTEBOOK, (nb) => lastHTML(nb).includes('Your last drawing'), log));
  if (!html.includes('Your last drawing') || !html.includes('<img alt=') || !html.includes('src="data:image/png;base64,')) {
    problems.push(`the saved notebook's last cell lacks the static picture: ${html.slice(0, 300)}`);
  }
  if (html.includes('digits-canvas')) problems.push('the saved notebook keeps the live canvas');
  return problems;
}

await runTest(`draw ${MODE}`, secs, (page) => {
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  return MODE === 'page' ? testPage(page) : testNotebook(page);
}, (page) => page.screenshot({ path: `${SCREENSHOT_DIR}/draw-${MODE}-failure.png` }).then(
  () => log(`screenshot of the page: ${SCREENSHOT_DIR}/draw-${MODE}-failure.png`)));
log(`every model showed the digit drawn (1, 7, 0)`);

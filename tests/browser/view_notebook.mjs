// view_notebook.mjs: Chromium, driven by Playwright, opens a committed
// notebook in a running JupyterLab WITHOUT running it, as a reader who has
// just cloned the repository does. JupyterLab does not trust such a notebook
// and strips what it cannot show safely (SVG inside HTML, scripts), so this
// checks that every picture the file holds is still on the page: each
// output of the file that carries an image (image/png, or a PNG <img> in
// HTML) shows as a visible <img> of non-zero size in its cell. Screenshots
// of the pictures go to $SCREENSHOT_DIR/<notebook>-<cell>.png.
// Exits 0 when all holds, 1 with the reasons otherwise.
//
// Started by test_browser.sh, which sets LAB_URL, LAB_TOKEN, VIEW_NOTEBOOK,
// SCREENSHOT_DIR and CHROMIUM.
import { env, labAPI, runTest, sleep } from './common.mjs';

const LAB_URL = env('LAB_URL');
const TOKEN = env('LAB_TOKEN');
const NOTEBOOK = env('VIEW_NOTEBOOK');
const SCREENSHOT_DIR = env('SCREENSHOT_DIR');

const t0 = Date.now();
const secs = () => ((Date.now() - t0) / 1000).toFixed(0) + 's';
const log = (msg) => console.log(`browser: [${secs()}] ${msg}`);
const text = (v) => (Array.isArray(v) ? v.join('') : v || '');

const api = labAPI(LAB_URL, TOKEN);

async function main(page) {
  const problems = [];
  const file = (await api(`/api/contents/${encodeURIComponent(NOTEBOOK)}?content=1`)).content;
  const code = file.cells.filter((c) => c.cell_type === 'code');
  // Pictures per code cell, as the file holds them.
  const want = code.map((c) => (c.outputs || []).filter((o) => {
    const d = o.data || {};
    return 'image/png' in d || /<img[^>]+src="data:image\/png/.test(text(d['text/html']));
  }).length);
  const total = want.reduce((a, b) => a + b, 0);
  if (total === 0) return [`${NOTEBOOK} holds no picture: run make notebooks`];

  log(`opening ${NOTEBOOK} (not run, not trusted): ${total} pictures in ${want.filter((n) => n).length} cells`);
  await page.goto(`${LAB_URL}/lab/tree/${encodeURIComponent(NOTEBOOK)}?reset&token=${TOKEN}`, { timeout: 120_000 });
  const cells = page.locator('.jp-Notebook .jp-CodeCell');
  for (let n = 0; (n = await cells.count()) < code.length; ) {
    if (Date.now() - t0 > 120_000) throw new Error(`${n} of the ${code.length} code cells shown after 120s`);
    await sleep(500);
  }
  const base = NOTEBOOK.replace(/\.ipynb$/, '');
  for (let i = 0; i < code.length; i++) {
    if (!want[i]) continue;
    const imgs = cells.nth(i).locator('.jp-OutputArea-output img');
    // Images decode asynchronously: wait until each has its natural size.
    let shown = 0;
    for (let tries = 0; tries < 60; tries++) {
      shown = 0;
      for (let k = 0; k < (await imgs.count()); k++) {
        const img = imgs.nth(k);
        await img.scrollIntoViewIfNeeded();
        const ok = await img.evaluate((el) => el.complete && el.naturalWidth > 0);
        const box = await img.boundingBox();
        if (ok && box && box.width > 10 && box.height > 10 && (await img.isVisible())) shown++;
      }
      if (shown >= want[i]) break;
      await sleep(500);
    }
    if (shown < want[i]) {
      problems.push(`code cell ${i + 1}: the file holds ${want[i]} picture(s), the page shows ${shown}`);
      continue;
    }
    const path = `${SCREENSHOT_DIR}/${base}-cell${i + 1}.png`;
    await cells.nth(i).locator('.jp-OutputArea').screenshot({ path });
    log(`code cell ${i + 1}: ${shown} picture(s) visible; screenshot ${path}`);
  }
  // What an untrusted page must not show: the text of a stripped SVG.
  const stripped = await page.$$eval('.jp-OutputArea-output', (os) =>
    os.filter((o) => !o.querySelector('img') && /\d{10,}/.test(o.innerText) && o.innerText.length < 400 &&
      o.matches('[data-mime-type="text/html"]')).length);
  if (stripped) problems.push(`${stripped} HTML output(s) show text where a picture was stripped`);
  return problems;
}

await runTest('browser', secs, main, (page) => page.screenshot({ path: `${SCREENSHOT_DIR}/view-failure.png` }));
log(`${NOTEBOOK}: every picture visible without running the notebook`);

// common.mjs: what the browser tests share: settings from the environment,
// Chromium started headless, offline, as Playwright drives it, and
// JupyterLab's REST API.
import { chromium } from 'playwright-core';

// env returns the environment variable name, or def; without either it throws.
export const env = (name, def) => {
  const v = process.env[name] ?? def;
  if (v === undefined) throw new Error(`${name} is not set`);
  return v;
};

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// labAPI returns api(path, init), which fetches path from the JupyterLab
// server at labURL with its token and returns the JSON answer; an answer
// other than 2xx throws.
export const labAPI = (labURL, token) => async (path, init = {}) => {
  const res = await fetch(labURL + path, {
    ...init,
    headers: { Authorization: `token ${token}`, ...(init.headers || {}) },
  });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
};

// readSaved reads the notebook at path back through api after a save was
// asked for, every 500 ms, until done(notebook) holds or 40 reads were made,
// and returns the last notebook read. Jupyter's server writes the file in
// place (with a backup copy beside it), so a read in the middle of a save
// finds it empty or cut short and answers HTTP 400: such a read is logged
// and made again; if the last read failed too, its error is thrown.
export async function readSaved(api, path, done, log) {
  let nb;
  let failed;
  for (let i = 0; i < 40; i++, await sleep(500)) {
    try {
      nb = (await api(`/api/contents/${encodeURIComponent(path)}?content=1`)).content;
      failed = undefined;
    } catch (e) {
      failed = e;
      log(`the saved notebook is not readable yet (${e.message}); reading it again`);
      continue;
    }
    if (done(nb)) break;
  }
  if (failed) throw failed;
  return nb;
}

// A failure the test describes itself (no stack trace in the report).
export class TestFailure extends Error {}

// launch starts Debian's Chromium ($CHROMIUM) headless, with nothing that
// reaches the network by itself, and opens one page 1400x1000.
export async function launch() {
  const browser = await chromium.launch({
    executablePath: env('CHROMIUM', '/usr/bin/chromium'),
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.setDefaultTimeout(60_000);
  return { browser, page };
}

// runTest launches Chromium, runs test(page), which returns the problems it
// found (a thrown error is one problem), lets onFailure(page, problems) look
// at the page when there are any (a screenshot; it may add problems), closes
// the browser, and on failure prints them under "<prefix>: FAILED after
// <secs()>" and exits 1. It returns when the test passed.
export async function runTest(prefix, secs, test, onFailure) {
  const { browser, page } = await launch();
  let problems;
  try {
    problems = await test(page);
  } catch (e) {
    problems = [e instanceof TestFailure ? e.message : `${e.stack || e}`];
  }
  if (problems.length && onFailure) await onFailure(page, problems).catch(() => {});
  await browser.close();
  if (problems.length) {
    console.log(`${prefix}: FAILED after ${secs()}:\n` + problems.map((p) => '  - ' + p).join('\n'));
    process.exit(1);
  }
}

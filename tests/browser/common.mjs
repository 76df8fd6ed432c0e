// common.mjs: what the browser tests share: settings from the environment,
// and Chromium started headless, offline, as Playwright drives it.
import { chromium } from 'playwright-core';

// env returns the environment variable name, or def; without either it throws.
export const env = (name, def) => {
  const v = process.env[name] ?? def;
  if (v === undefined) throw new Error(`${name} is not set`);
  return v;
};

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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

// Drives the host's web page in headless Debian Chromium with a fake camera, through playwright-core.
// Starts no host: the C# test (tests/StreamDiffusion.StreamHost.Tests/Web/WebPageTests.cs) starts one and passes
// its web address. Environment:
//   SDNET_URL             the host's HTTP address, e.g. http://127.0.0.1:8080 (required)
//   CHROMIUM_PATH         browser binary (default /usr/bin/chromium; never a downloaded browser)
//   SDNET_SCREENSHOT_DIR  where to save screenshots (default: the current folder)
//   SDNET_PROMPT          prompt typed into the page before starting (optional)
//   SDNET_SIZE            session size picked in the page (optional: 256, 384 or 512; default the model size)
// Exits 0 and prints "PASS ..." when the page streamed frames onto its output canvas that are not blank and
// change over time; prints "FAIL ..." and exits 1 otherwise.

import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const url = process.env.SDNET_URL;
if (!url) {
  console.error('FAIL: set SDNET_URL to the host address (this script starts no host)');
  process.exit(2);
}

const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const outDir = process.env.SDNET_SCREENSHOT_DIR || '.';
mkdirSync(outDir, { recursive: true });
const userDataDir = mkdtempSync(join(tmpdir(), 'sdnet-chromium-'));

const args = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
];

/** Luma statistics of the output canvas, computed in the page. */
const canvasStats = () => {
  const canvas = document.getElementById('output');
  const ctx = canvas.getContext('2d');
  const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const n = data.length / 4;
  let sum = 0;
  let sum2 = 0;
  const luma = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const y = 0.299 * data[i * 4] + 0.587 * data[i * 4 + 1] + 0.114 * data[i * 4 + 2];
    luma[i] = y;
    sum += y;
    sum2 += y * y;
  }
  const mean = sum / n;
  return { width: canvas.width, height: canvas.height, mean, std: Math.sqrt(Math.max(0, sum2 / n - mean * mean)), luma: Array.from(luma) };
};

function meanAbsDiff(a, b) {
  let total = 0;
  for (let i = 0; i < a.length; i++) total += Math.abs(a[i] - b[i]);
  return total / a.length;
}

let context;
let failure = null;
try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args,
    viewport: { width: 1280, height: 800 },
  });
  const page = context.pages()[0] ?? await context.newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(e.message));

  await page.goto(url, { waitUntil: 'load' });
  if (process.env.SDNET_PROMPT) await page.fill('#prompt', process.env.SDNET_PROMPT);
  if (process.env.SDNET_SIZE) {
    await page.click('details > summary');
    await page.selectOption('#size', process.env.SDNET_SIZE);
  }
  await page.click('#start');

  // The session starts, then generated frames arrive.
  await page.waitForFunction(() => window.sdnet.state.phase === 'live' || window.sdnet.state.phase === 'closed'
    || window.sdnet.state.phase === 'error', null, { timeout: 60_000 });
  const started = await page.evaluate(() => ({ ...window.sdnet.state }));
  if (started.phase !== 'live') throw new Error('the session did not start: ' + JSON.stringify(started));

  await page.waitForFunction(() => window.sdnet.state.images >= 3, null, { timeout: 120_000 });
  const first = await page.evaluate(canvasStats);
  const firstImages = await page.evaluate(() => window.sdnet.state.images);
  await page.screenshot({ path: join(outDir, 'page-1.png') });
  await page.locator('#output').screenshot({ path: join(outDir, 'output-1.png') });

  // Live controls, as a user would: a new prompt (Enter sends it) and a stronger strength (a new t_index list).
  // Some frames later the output shows them (and the fake camera's moving pattern has moved on).
  await page.fill('#prompt', 'a glowing neon city at night, deep blue and magenta');
  await page.press('#prompt', 'Enter');
  await page.$eval('#strength', (el) => {
    el.value = '0.6';
    el.dispatchEvent(new Event('input'));
    el.dispatchEvent(new Event('change'));
  });
  const tIndexText = await page.textContent('#tIndexText');
  await page.waitForFunction((n) => window.sdnet.state.images >= n + 8, firstImages, { timeout: 120_000 });
  await page.waitForTimeout(500);
  const second = await page.evaluate(canvasStats);
  await page.screenshot({ path: join(outDir, 'page-2.png') });
  await page.locator('#output').screenshot({ path: join(outDir, 'output-2.png') });

  const state = await page.evaluate(() => ({ ...window.sdnet.state }));
  const change = meanAbsDiff(first.luma, second.luma);
  const sessionText = await page.textContent('#sessionId');
  const mjpegHref = await page.getAttribute('#mjpegLink', 'href');
  // The host serves its synthetic test pack here: the page must say so, and how to load a real model.
  const notice = (await page.isVisible('#modelNotice')) ? await page.textContent('#modelNotice') : '';
  const report = {
    session: state.sessionId, width: first.width, height: first.height, sent: state.sent, received: state.received,
    images: state.images, dropped: state.dropped, failed: state.failed,
    first: { mean: +first.mean.toFixed(1), std: +first.std.toFixed(1) },
    second: { mean: +second.mean.toFixed(1), std: +second.std.toFixed(1) },
    change: +change.toFixed(2), tIndexText, mjpeg: mjpegHref, consoleErrors,
  };
  console.log('REPORT ' + JSON.stringify(report));

  const problems = [];
  if (first.width !== started.width || first.height !== started.height) problems.push('canvas size is not the session size');
  for (const [name, s] of [['first', first], ['second', second]]) {
    if (s.std < 4) problems.push(`${name} screenshot is blank (luma std ${s.std.toFixed(2)})`);
    if (s.mean < 2 || s.mean > 253) problems.push(`${name} screenshot is flat black/white (mean ${s.mean.toFixed(1)})`);
  }
  if (tIndexText !== 't_index [20, 42]') problems.push('strength 0.6 should show t_index [20, 42], shows ' + tIndexText);
  if (change < 2) problems.push(`the output did not change over time (mean abs luma difference ${change.toFixed(2)})`);
  if (state.failed > 0) problems.push(`${state.failed} frames failed`);
  if (!sessionText || !sessionText.includes(state.sessionId)) problems.push('the session id is not shown');
  if (mjpegHref !== `/sessions/${state.sessionId}/mjpeg`) problems.push('the MJPEG link is wrong: ' + mjpegHref);
  if (!notice.includes('synthetic test pack') || !notice.includes('--model')) problems.push('no synthetic-model notice: ' + notice);
  if (consoleErrors.length) problems.push('console errors: ' + consoleErrors.join(' | '));

  // Stopping closes the session normally.
  await page.click('#stop');
  await page.waitForFunction(() => window.sdnet.state.phase === 'closed', null, { timeout: 30_000 });
  const closed = await page.evaluate(() => window.sdnet.state.closeCode);
  if (closed !== 1000) problems.push('stop closed with ' + closed);

  if (problems.length) failure = problems.join('; ');
} catch (err) {
  failure = err && err.stack ? err.stack : String(err);
} finally {
  if (context) await context.close().catch(() => {});
  rmSync(userDataDir, { recursive: true, force: true });
}

if (failure) {
  console.log('FAIL ' + failure);
  process.exit(1);
}
console.log('PASS the page streamed the fake camera and its output canvas changes over time');

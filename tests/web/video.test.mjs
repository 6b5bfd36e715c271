// Drives the web page's text-to-video mode (video.js over /ws/video) in headless Debian Chromium, through
// playwright-core. Starts no host: the C# test (tests/StreamDiffusion.StreamHost.Tests/Web/WebPageTests.cs) starts
// one and passes its web address. Environment:
//   SDNET_URL             the host's HTTP address (required)
//   CHROMIUM_PATH         browser binary (default /usr/bin/chromium; never a downloaded browser)
//   SDNET_SCREENSHOT_DIR  where to save screenshots (default: the current folder)
// Exits 0 and prints "PASS ..." when the page started a video, drew frames that are not blank and change, applied
// a live prompt change that reached the head, and stopped with a normal close; "FAIL ..." and exit 1 otherwise.

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
const userDataDir = mkdtempSync(join(tmpdir(), 'sdnet-chromium-video-'));
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Luma of the video canvas, computed in the page. */
const canvasLuma = () => {
  const canvas = document.getElementById('videoOutput');
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  const luma = [];
  for (let i = 0; i < data.length; i += 4) luma.push(0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2]);
  const mean = luma.reduce((a, b) => a + b, 0) / luma.length;
  const std = Math.sqrt(luma.reduce((a, b) => a + (b - mean) * (b - mean), 0) / luma.length);
  return { width: canvas.width, mean, std, luma };
};

const meanAbsDiff = (a, b) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;

let context;
let failure = null;
try {
  context = await chromium.launchPersistentContext(userDataDir, { executablePath, headless: true, args, viewport: { width: 1280, height: 1400 } });
  const page = context.pages()[0] ?? await context.newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(e.message));

  await page.goto(url, { waitUntil: 'load' });
  await page.fill('#videoPrompt', 'a red fox running through snow');
  await page.selectOption('#videoSize', '256');
  await page.fill('#videoPartitions', '1');
  await page.click('#videoStart');
  await page.waitForFunction(() => window.sdnetVideo.state.images >= 3 || window.sdnetVideo.state.phase === 'closed', null, { timeout: 120_000 });
  const started = await page.evaluate(() => ({ ...window.sdnetVideo.state }));
  if (started.phase !== 'live') throw new Error('the video did not start: ' + JSON.stringify(started));
  const first = await page.evaluate(canvasLuma);

  // A live prompt change, as a user makes it: type and press Enter. The host acknowledges it and the new prompt
  // reaches the head within the queue length (8 frames here).
  await page.fill('#videoPrompt', 'a deep blue ocean at night');
  await page.press('#videoPrompt', 'Enter');
  await page.waitForFunction(() => window.sdnetVideo.state.lastControl !== null, null, { timeout: 60_000 });
  await page.waitForFunction(() => window.sdnetVideo.state.headPrompt === 'a deep blue ocean at night', null, { timeout: 120_000 });
  const control = await page.evaluate(() => window.sdnetVideo.state.lastControl);
  // The index of the first frame that showed the new prompt, recorded by the page as it arrived (frames keep
  // coming while the test reads the state).
  const arrivedAt = await page.evaluate(() => window.sdnetVideo.state.headPromptSince);
  await page.waitForTimeout(300);
  const second = await page.evaluate(canvasLuma);
  await page.locator('#videoMode').screenshot({ path: join(outDir, 'video-mode.png') });

  const problems = [];
  for (const [name, s] of [['first', first], ['second', second]]) {
    if (s.std < 2) problems.push(`${name} frame is blank (luma std ${s.std.toFixed(2)})`);
  }
  const change = meanAbsDiff(first.luma, second.luma);
  if (change < 2) problems.push(`the video did not change (mean abs luma difference ${change.toFixed(2)})`);
  if (arrivedAt > control.applies_from_frame + control.arrival_frames) problems.push(`the prompt arrived at frame ${arrivedAt}, later than ${control.applies_from_frame} + ${control.arrival_frames}`);
  const mjpeg = await page.getAttribute('#videoMjpegLink', 'href');
  if (mjpeg !== `/sessions/${started.sessionId}/mjpeg`) problems.push('the MJPEG link is wrong: ' + mjpeg);

  await page.click('#videoStop');
  await page.waitForFunction(() => window.sdnetVideo.state.phase === 'closed', null, { timeout: 30_000 });
  const closed = await page.evaluate(() => window.sdnetVideo.state.closeCode);
  if (closed !== 1000) problems.push('stop closed with ' + closed);
  if (consoleErrors.length) problems.push('console errors: ' + consoleErrors.join(' | '));
  console.log('REPORT ' + JSON.stringify({ session: started.sessionId, width: first.width, change: +change.toFixed(2), control, arrivedAt, closed }));
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
console.log('PASS the text-to-video mode played a video, applied a live prompt change and stopped');

// Drives the host's web page with authentication on, in headless Debian Chromium with a fake camera (playwright-core).
// Starts no host: tests/StreamDiffusion.StreamHost.Tests/Security/WebPageAuthTests.cs starts one with keys.
// Environment: SDNET_URL (the host's HTTP address), SDNET_API_KEY (a valid key), CHROMIUM_PATH (default
// /usr/bin/chromium). Checks: without a key the page says the host refused it; with the key typed into the
// API key field a session streams, the MJPEG link is a signed URL, and the key is remembered after a reload.
// Prints "PASS ..." and exits 0, or "FAIL ..." and exits 1.

import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const url = process.env.SDNET_URL;
const key = process.env.SDNET_API_KEY;
if (!url || !key) {
  console.error('FAIL: set SDNET_URL and SDNET_API_KEY (this script starts no host)');
  process.exit(2);
}

const userDataDir = mkdtempSync(join(tmpdir(), 'sdnet-chromium-'));
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];
const ended = () => ['closed', 'error'].includes(window.sdnet.state.phase);

let context;
const problems = [];
try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', headless: true, args,
  });
  const page = context.pages()[0] ?? await context.newPage();
  await page.goto(url, { waitUntil: 'load' });

  // No key: the WebSocket handshake is refused (401), which a page only sees as close 1006.
  await page.click('#start');
  await page.waitForFunction(ended, null, { timeout: 60_000 });
  const refused = await page.evaluate(() => ({ ...window.sdnet.state }));
  const message = await page.textContent('#message');
  if (refused.sessionId) problems.push('a session started without a key');
  if (!message.includes('API key')) problems.push('no hint about the API key after a refusal: ' + message);

  // With the key.
  await page.fill('#apiKey', key);
  await page.dispatchEvent('#apiKey', 'change');
  await page.click('#start');
  // start() awaits the camera before it leaves the previous 'closed' phase.
  await page.waitForFunction(() => !['closed', 'error'].includes(window.sdnet.state.phase), null, { timeout: 30_000 });
  await page.waitForFunction(() => window.sdnet.state.images >= 2 || ['closed', 'error'].includes(window.sdnet.state.phase),
    null, { timeout: 60_000 });
  const live = await page.evaluate(() => ({ ...window.sdnet.state }));
  if (live.phase !== 'live' || live.images < 2) problems.push('the session did not stream with the key: ' + JSON.stringify(live));
  await page.waitForFunction(() => document.getElementById('mjpegLink').getAttribute('href').includes('sig='), null, { timeout: 10_000 })
    .catch(() => {});
  const href = await page.getAttribute('#mjpegLink', 'href');
  if (!href || !href.startsWith(`/sessions/${live.sessionId}/mjpeg?expires=`) || !href.includes('&sig=')) problems.push('the MJPEG link is not signed: ' + href);
  else {
    const status = await page.evaluate(async (h) => {
      const controller = new AbortController();
      const response = await fetch(h, { signal: controller.signal });
      controller.abort();
      return response.status;
    }, href);
    if (status !== 200) problems.push('the signed MJPEG link answered ' + status);
  }
  await page.click('#stop');
  await page.waitForFunction(ended, null, { timeout: 30_000 });

  // The key is remembered in this browser.
  await page.reload({ waitUntil: 'load' });
  if ((await page.inputValue('#apiKey')) !== key) problems.push('the key was not kept in localStorage');
  console.log('REPORT ' + JSON.stringify({ refusedCode: refused.closeCode, message, images: live.images, href }));
} catch (err) {
  problems.push(err && err.stack ? err.stack : String(err));
} finally {
  if (context) await context.close().catch(() => {});
  rmSync(userDataDir, { recursive: true, force: true });
}

if (problems.length) {
  console.log('FAIL ' + problems.join('; '));
  process.exit(1);
}
console.log('PASS the page refused to stream without a key and streamed with the stored key');

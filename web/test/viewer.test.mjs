// SPDX-License-Identifier: LGPL-2.1-or-later
// The viewer in Debian's headless chromium, driven by playwright-core:
//   node viewer.test.mjs URL DEVICE DAY SCREENSHOT SPANS EVENTS
// The timeline shows SPANS recorded spans and EVENTS events, the first event
// card shows its picture, and Play plays it (currentTime advances, the
// picture time is shown).  Only loopback is reachable.
import { chromium } from 'playwright-core';

const [url, device, day, screenshot, spans, events] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    '--autoplay-policy=no-user-gesture-required'],
});
let failed = null;
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
  page.on('pageerror', (e) => { failed = failed || 'page error: ' + e.message; });
  await page.goto(`${url}?device=${device}&day=${day}`);
  await page.waitForSelector('#timeline[data-loaded="true"]', { timeout: 15000 });
  const counts = await page.evaluate(() => [
    document.querySelectorAll('#timeline .span').length,
    document.querySelectorAll('#timeline .event-marker').length,
    document.querySelectorAll('.event-card').length]);
  if (counts[0] !== Number(spans) || counts[1] !== Number(events) ||
      counts[2] !== Number(events))
    throw new Error(`timeline shows ${counts}, expected ${spans} spans and ` +
      `${events} events`);
  await page.waitForFunction(() => {
    const img = document.querySelector('.event-card img');
    return img && img.complete && img.naturalWidth > 0;
  }, null, { timeout: 15000 });
  await page.click('.event-card button');
  await page.waitForFunction(() => document.getElementById('video').currentTime > 1,
    null, { timeout: 20000 });
  const pdt = await page.textContent('#pdt');
  if (!pdt.startsWith(day + 'T'))
    throw new Error(`picture time shown: "${pdt}"`);
  await page.screenshot({ path: screenshot });
  console.log(`ok: ${counts[0]} spans, ${counts[1]} events, playing at ${pdt}`);
} catch (e) {
  failed = failed || e.message;
} finally {
  await browser.close();
}
if (failed) {
  console.error('viewer test failed: ' + failed);
  process.exit(1);
}

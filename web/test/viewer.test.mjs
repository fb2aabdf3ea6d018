// SPDX-License-Identifier: LGPL-2.1-or-later
// The viewer in Debian's headless chromium, driven by playwright-core:
//   node viewer.test.mjs URL DEVICE DAY SCREENSHOT SPANS EVENTS
// The timeline shows SPANS recorded spans and EVENTS events, the first event
// card shows its picture, and Play plays it (currentTime advances, the
// picture time is shown), all under the page's Content-Security-Policy (a
// violation fails the test).  Only loopback is reachable.
import { chromium } from 'playwright-core';

const [url, device, day, screenshot, spans, events] = process.argv.slice(2);

// page.waitForFunction evaluates a string in the page, which the page's CSP
// refuses (no 'unsafe-eval'): poll with page.evaluate instead.
async function waitFor(page, predicate, timeout, what) {
  const end = Date.now() + timeout;
  while (!(await page.evaluate(predicate))) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    '--autoplay-policy=no-user-gesture-required'],
});
let failed = null;
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 800 },
    timezoneId: 'UTC' });
  page.on('pageerror', (e) => { failed = failed || 'page error: ' + e.message; });
  page.on('console', (m) => {
    if (/Content.Security.Policy/i.test(m.text()))
      failed = failed || 'CSP: ' + m.text();
  });
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
  await waitFor(page, () => {
    const img = document.querySelector('.event-card img');
    return img && img.complete && img.naturalWidth > 0;
  }, 15000, 'the event picture');
  await page.click('.event-card button');
  await waitFor(page, () => document.getElementById('video').currentTime > 1 &&
    document.getElementById('pdt').dataset.utc, 20000, 'the video to play');
  const pdt = await page.getAttribute('#pdt', 'data-utc');
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

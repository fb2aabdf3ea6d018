// SPDX-License-Identifier: LGPL-2.1-or-later
// hls.js (the page's own copy) plays a playlist of fragmented MP4 segments
// in Debian's headless chromium, driven by playwright-core, on csctl
// serve's page (its Content-Security-Policy in force):
//   node fmp4-play.test.mjs BASE PLAYLIST SECONDS
// Passes when the video plays past SECONDS with no fatal hls.js error.
import { chromium } from 'playwright-core';

const [base, playlist, seconds] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    '--autoplay-policy=no-user-gesture-required'],
});
let failed = null;
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => { failed = failed || 'page error: ' + e.message; });
  await page.goto(base);
  await page.waitForFunction(() => true);
  const played = await page.evaluate(async ([src, until]) => {
    const video = document.createElement('video');
    video.muted = true;
    document.body.appendChild(video);
    const hls = new window.Hls();
    const errors = [];
    // Stalls while the buffer fills are reported too: only fatal ones fail.
    hls.on(window.Hls.Events.ERROR, (e, d) => { if (d.fatal) errors.push(d.details); });
    hls.loadSource(src);
    hls.attachMedia(video);
    video.play().catch(() => {});
    const end = Date.now() + 30000;
    while (video.currentTime < until && Date.now() < end && !errors.length)
      await new Promise((resolve) => setTimeout(resolve, 100));
    return { time: video.currentTime, errors };
  }, [playlist, Number(seconds)]);
  if (played.errors.length || played.time < Number(seconds))
    throw new Error(`played to ${played.time} s, hls.js errors: ${played.errors}`);
  console.log(`ok: played to ${played.time} s`);
} catch (e) {
  failed = failed || e.message;
} finally {
  await browser.close();
}
if (failed) {
  console.error('fmp4 play test failed: ' + failed);
  process.exit(1);
}

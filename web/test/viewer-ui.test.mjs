// SPDX-License-Identifier: LGPL-2.1-or-later
// The viewer as a user works it, in Debian's headless chromium (driven by
// playwright-core), in India's time zone (UTC+5:30, so that local and UTC
// days and hours differ) and a British locale:
//   node viewer-ui.test.mjs URL SCREENSHOT_DIR EXPORT.mp4
// against the store tests/check/tools/csctl-viewer.c makes: cam2 with two
// events (motion + person, then sound) at 2023-11-14T22:13:20Z, 1000 more
// devices cam-0000 … cam-0999, and live1 recording while the test runs.
// Every step says what it checks; a page error or CSP violation fails it.
import { chromium } from 'playwright-core';

const [base, shots, mp4] = process.argv.slice(2);
const T0 = 1700000000000;       // 2023-11-14T22:13:20Z, 03:43:20 in Kolkata
const ZONE = 'Asia/Kolkata';

function check(ok, what) {
  if (!ok) throw new Error(what);
}

// page.waitForFunction evaluates a string in the page, which the page's CSP
// refuses (no 'unsafe-eval'): poll with page.evaluate instead.
async function waitFor(page, predicate, timeout, what, arg) {
  const end = Date.now() + timeout;
  while (!(await page.evaluate(predicate, arg))) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const clock = (ms, zone) => new Intl.DateTimeFormat('en-GB', { hour: '2-digit',
  minute: '2-digit', second: '2-digit', timeZone: zone }).format(ms);

// The x (page pixels) of @ms on the timeline's track.
async function xOf(page, ms) {
  const [v0, v1, left, width] = await page.evaluate(() => {
    const r = document.getElementById('track').getBoundingClientRect();
    const t = document.getElementById('timeline').dataset;
    return [Number(t.viewFrom), Number(t.viewTo), r.left, r.width];
  });
  return left + (ms - v0) / (v1 - v0) * width;
}

async function trackY(page) {
  const r = await page.evaluate(() => {
    const b = document.getElementById('track').getBoundingClientRect();
    return [b.top, b.height];
  });
  return r[0] + r[1] / 2;
}

const text = (page, sel) => page.textContent(sel);
const count = (page, sel) => page.evaluate((s) =>
  document.querySelectorAll(s).length, sel);

async function days(page) {
  // Local day: cam2's recordings at 03:43 on the 15th, Kolkata time.
  await page.goto(`${base}?device=cam2&day=2023-11-15`);
  await page.waitForSelector('#timeline[data-loaded="true"]', { timeout: 15000 });
  check(await count(page, '#track .span') === 2, 'two recorded spans');
  check(await count(page, '#track .event-marker') === 2, 'two event markers');
  check(await count(page, '.event-card') === 2, 'two event cards');
  check(/Kolkata|Calcutta/.test(await text(page, '#zone')), 'the zone is named');
  check((await text(page, '#day-name')).includes('15 November 2023'),
    'the day in words: ' + await text(page, '#day-name'));
  // Hour labels: every two hours from midnight, with ticks between.
  const labels = await page.$$eval('.tick.major span', (s) =>
    s.map((e) => e.textContent));
  check(labels[0] === '00:00' && labels[1] === '02:00' && labels.length >= 12,
    'hour labels: ' + labels.join(' '));
  check(await count(page, '.tick:not(.major)') >= 24, 'hour ticks');
  // Thumbnails of the event pictures on the timeline.
  await waitFor(page, () => [...document.querySelectorAll('.thumb')]
    .some((i) => i.complete && i.naturalWidth > 0), 15000, 'a thumbnail');
  // Events named by triggers and local time; durations as people say them.
  const cards = await page.$$eval('.event-card', (c) => c.map((e) =>
    [e.querySelector('.name').textContent, e.querySelector('.when').textContent]));
  check(cards[0][0] === 'Motion + person' && cards[1][0] === 'Sound',
    'event names: ' + cards);
  check(cards.every((c) => /^03:43:\d\d · \d+ s$/.test(c[1])),
    'local times and durations: ' + cards);
  check(!(await page.textContent('body')).includes('17000000'),
    'no ms ids shown');
  await page.screenshot({ path: `${shots}/viewer-day.png` });
  // The day is picked in the browser's picker, opened from its name.
  await page.click('#day-name');
  await page.keyboard.press('Escape');

  // UTC: the same day has nothing; the day before has it, at 22:13.
  await page.check('#utc');
  await page.waitForSelector('#timeline[data-loaded="true"]');
  await waitFor(page, () => document.querySelectorAll('.event-card').length === 0
    && document.querySelector('.empty'), 10000, 'the UTC day to be empty');
  check((await text(page, '.empty')) === 'No events this day', 'empty state');
  await page.click('#prev-day');
  await waitFor(page, () => document.querySelectorAll('.event-card').length === 2,
    10000, 'the UTC day before');
  check((await text(page, '.event-card .when')).startsWith('22:13:'),
    'UTC time: ' + await text(page, '.event-card .when'));
  check((await text(page, '#day-name')).includes('14 November 2023'), 'UTC day');
  await page.uncheck('#utc');
  await page.click('#next-day');
  await waitFor(page, () => document.querySelectorAll('.event-card').length === 2,
    10000, 'the local day again');
}

async function timeline(page) {
  // Zoom: an hour, ten minutes and a minute about the recordings.
  await page.click('.event-card');                  // selects and zooms
  await page.click('[data-zoom="600000"]');
  let labels = await page.$$eval('.tick.major span', (s) =>
    s.map((e) => e.textContent));
  check(labels.includes('03:40') && labels.includes('03:45'),
    '10 min labels: ' + labels.join(' '));
  await page.click('[data-zoom="60000"]');
  labels = await page.$$eval('.tick.major span', (s) => s.map((e) =>
    e.textContent));
  check(labels.some((l) => /^03:43:\d0$/.test(l)), '1 min labels: ' + labels);
  // To scale: the first span (about 5 s) is about 5/60 of the track.
  const [w, total] = await page.evaluate(() => [
    document.querySelector('#track .span').getBoundingClientRect().width,
    document.getElementById('track').getBoundingClientRect().width]);
  check(w > total * 4 / 60 && w < total * 7 / 60, `span to scale: ${w} of ${total}`);
  // Hover says the time under the pointer.
  const y = await trackY(page);
  const at = T0 + 9500;
  await page.mouse.move(await xOf(page, at), y);
  const hover = await text(page, '#hover-time');
  check(hover.startsWith(clock(at, ZONE).slice(0, 7)), 'hover: ' + hover);
  // Click anywhere: plays from that instant, and the playhead follows.
  await page.mouse.click(await xOf(page, at), y);
  await waitFor(page, () => document.getElementById('pdt').dataset.utc &&
    !document.getElementById('video').paused, 20000, 'playing from the click');
  const pdt = Date.parse(await page.getAttribute('#pdt', 'data-utc'));
  check(pdt >= at - 100 && pdt < at + 3000,
    `plays from ${new Date(at).toISOString()}: at ${new Date(pdt).toISOString()}`);
  check(!(await page.$eval('#playhead', (e) => e.hidden)), 'playhead shown');
  const head = await page.evaluate(() =>
    document.getElementById('playhead').getBoundingClientRect().left);
  check(Math.abs(head - await xOf(page, pdt)) < 40, 'playhead at the picture');
  await page.screenshot({ path: `${shots}/viewer-zoomed.png` });
}

async function events(page) {
  // Keyboard: next, next, previous.
  await page.click('h2');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  check((await text(page, '#playing')).startsWith('Sound at'), 'next event: ' +
    await text(page, '#playing'));
  await page.keyboard.press('k');
  check((await text(page, '#playing')).startsWith('Motion + person at'),
    'previous event');
  check(await page.$eval('.event-card.selected', (e) => e.dataset.index) === '0',
    'selected card');
  // Filter by trigger type.
  await page.uncheck('[data-trigger="sound"]');
  check(await count(page, '.event-card') === 1, 'sound filtered out');
  check(await count(page, '#track .event-marker') === 1, 'on the timeline too');
  await page.check('[data-trigger="sound"]');
  check(await count(page, '.event-card') === 2, 'filter off');
  await waitFor(page, () => document.getElementById('video').currentTime > 0.5,
    20000, 'the event to play');
}

async function exporting(page) {
  // The sound event as an MP4, with progress, downloaded.
  await page.click('.event-card[data-index="1"] .export-event');
  await page.waitForSelector('#export-progress:not([hidden])');
  await page.waitForSelector('#export-link:not([hidden])', { timeout: 60000 });
  check(await page.$eval('#export-progress', (p) => p.value) === 100,
    'progress at 100 %');
  const [download] = await Promise.all([page.waitForEvent('download'),
    page.click('#export-link')]);
  await download.saveAs(mp4);
  check(/^cam2-event-\d+\.mp4$/.test(download.suggestedFilename()),
    'named ' + download.suggestedFilename());
}

async function devices(page) {
  // 1002 devices: pages of 500, each a listing of the store's first level.
  const pages = await page.evaluate(async () => {
    const seen = [];
    let after = null;
    for (let i = 0; i < 5; i++) {
      const r = await (await fetch('api/devices' +
        (after ? '?after=' + after : ''))).json();
      seen.push(r.devices.length);
      if (!r.next) break;
      after = r.next;
    }
    return seen;
  });
  check(pages.join() === '500,500,2', 'device pages: ' + pages);
  // The first page, "More devices…", and cam2 (on the third page) as the
  // page was opened for it.
  check(await count(page, '#device option') === 502, 'the first page');
  await page.selectOption('#device', '');
  await waitFor(page, () => document.querySelectorAll('#device option').length
    === 1002, 10000, 'the next page of devices');
}

async function live(page) {
  await page.goto(`${base}?device=live1`);
  await page.waitForSelector('#timeline[data-loaded="true"]', { timeout: 15000 });
  await page.click('#live');
  await waitFor(page, () => document.getElementById('lag').dataset.ms,
    30000, 'live playback');
  const first = Date.parse(await page.getAttribute('#pdt', 'data-utc'));
  // It follows the recording: reloads bring pictures later than the first
  // playlist had (6 segments of 1 s).
  await waitFor(page, (t) => Date.parse(document.getElementById('pdt')
    .dataset.utc) > t + 8000, 30000, 'live to follow the recording', first);
  const lag = Number(await page.getAttribute('#lag', 'data-ms'));
  check(lag > 0 && lag < 20000, 'lag ' + lag);
  check(/^· \d+ s behind$/.test(await text(page, '#lag')), 'lag shown: ' +
    await text(page, '#lag'));
  check(!(await page.$eval('#playhead', (e) => e.hidden)), 'live playhead');
  await page.screenshot({ path: `${shots}/viewer-live.png` });
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    '--autoplay-policy=no-user-gesture-required'],
});
let failed = null;
let step = '';
try {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 },
    timezoneId: ZONE, locale: 'en-GB', acceptDownloads: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => { failed = failed || 'page error: ' + e.message; });
  page.on('console', (m) => {
    if (/Content.Security.Policy/i.test(m.text()))
      failed = failed || 'CSP: ' + m.text();
  });
  for (const [name, run] of Object.entries({ days, timeline, events,
    exporting, devices, live })) {
    step = name;
    await run(page);
    console.log('ok: ' + name);
  }
} catch (e) {
  failed = failed || `${step}: ${e.message}`;
} finally {
  await browser.close();
}
if (failed) {
  console.error('viewer test failed: ' + failed);
  process.exit(1);
}

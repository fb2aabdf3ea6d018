// SPDX-License-Identifier: LGPL-2.1-or-later
// The viewer: a device's day as a timeline of recordings and events, event
// cards with their pictures, and a player (hls.js) that shows the picture
// time (EXT-X-PROGRAM-DATE-TIME) of what it plays.
'use strict';

const DAY_MS = 24 * 3600 * 1000;
const $ = (id) => document.getElementById(id);
const HOUR_MS = 3600 * 1000;
const params = new URLSearchParams(location.search);
let hls = null;
let view = [0, DAY_MS];   // the part of the day the timeline shows

function status(text) { $('status').textContent = text; }

function dayStart() { return Date.parse($('day').value + 'T00:00:00Z'); }

function iso(ms) { return new Date(ms).toISOString().replace('.000Z', 'Z'); }

const TRIGGERS = ['motion', 'person', 'sound', 'linkage'];
function triggers(bits) {
  const names = [];
  for (let b = 0; b < 32; b++)
    if (bits & (1 << b)) names.push(TRIGGERS[b] || 'bit' + b);
  return names.join(' + ');
}

async function getJSON(url) {
  const r = await fetch(url);
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

function play(query, what) {
  const url = 'api/playlist.m3u8?device=' +
    encodeURIComponent($('device').value) + '&' + query;
  const video = $('video');
  $('playing').textContent = what;
  $('pdt').textContent = '-';
  if (hls) hls.destroy();
  hls = new Hls();
  let fragStart = null;   // [program date ms, media start s] of the fragment
  hls.on(Hls.Events.FRAG_CHANGED, (_, data) => {
    if (data.frag.programDateTime)
      fragStart = [data.frag.programDateTime, data.frag.start];
  });
  hls.on(Hls.Events.ERROR, (_, data) => {
    if (data.fatal) status('cannot play: ' + data.details);
  });
  video.ontimeupdate = () => {
    if (fragStart)
      $('pdt').textContent =
        iso(fragStart[0] + (video.currentTime - fragStart[1]) * 1000);
  };
  hls.loadSource(url);
  hls.attachMedia(video);
  hls.on(Hls.Events.MANIFEST_PARSED, () => video.play());
}

// The whole hours of the day that hold something, so that recordings of
// seconds can be seen and clicked.
function fitView(ls) {
  const d0 = dayStart();
  const times = ls.spans.flatMap((s) => [s.start_ms, s.end_ms])
    .concat(ls.events.map((e) => e.start_ms));
  if (times.length === 0) {
    view = [d0, d0 + DAY_MS];
  } else {
    const lo = Math.max(d0, Math.min(...times));
    const hi = Math.min(d0 + DAY_MS, Math.max(...times));
    view = [lo - (lo - d0) % HOUR_MS,
      Math.min(d0 + DAY_MS, hi - (hi - d0) % HOUR_MS + HOUR_MS)];
  }
  $('range').textContent = iso(view[0]).slice(11, 16) + ' - ' +
    (view[1] === d0 + DAY_MS ? '24:00' : iso(view[1]).slice(11, 16)) + ' UTC';
}

function place(el, start, end) {
  const width = view[1] - view[0];
  el.style.left = Math.max(0, (start - view[0]) / width * 100) + '%';
  if (end !== undefined)
    el.style.width = Math.max(0, (Math.min(end, view[1]) -
      Math.max(start, view[0])) / width * 100) + '%';
}

function showDay(ls) {
  const timeline = $('timeline');
  timeline.querySelectorAll('.span, .event-marker').forEach((e) => e.remove());
  fitView(ls);
  for (const sp of ls.spans) {
    const el = document.createElement('div');
    el.className = 'span';
    el.title = iso(sp.start_ms) + ' - ' + iso(sp.end_ms);
    place(el, sp.start_ms, sp.end_ms);
    el.onclick = () => play('from=' + sp.start_ms + '&to=' + sp.end_ms,
      el.title);
    timeline.appendChild(el);
  }
  const cards = $('events');
  cards.textContent = '';
  for (const ev of ls.events) {
    const marker = document.createElement('div');
    marker.className = 'event-marker';
    marker.title = triggers(ev.triggers) + ' at ' + iso(ev.start_ms);
    place(marker, ev.start_ms);
    marker.onclick = () => play('event=' + ev.id, marker.title);
    timeline.appendChild(marker);

    const card = document.createElement('div');
    card.className = 'event-card';
    const img = document.createElement('img');
    img.alt = ev.snapshot ? 'alarm picture' : 'no picture';
    if (ev.snapshot) img.src = 'store/' + ev.snapshot;
    const text = document.createElement('div');
    const seconds = ev.end_ms > 0 ? (ev.end_ms - ev.start_ms) / 1000 : 0;
    text.textContent = iso(ev.start_ms) + ' · ' + triggers(ev.triggers) +
      ' · ' + seconds.toFixed(1) + ' s';
    const button = document.createElement('button');
    button.textContent = 'Play';
    button.onclick = () => play('event=' + ev.id, 'event ' + ev.id);
    card.append(img, text, button);
    cards.appendChild(card);
  }
  $('summary').textContent = ls.spans.length + ' spans, ' +
    ls.events.length + ' events';
  timeline.dataset.loaded = 'true';
}

async function reload() {
  const d0 = dayStart();
  if (!$('device').value || isNaN(d0)) return;
  status('loading…');
  try {
    showDay(await getJSON('api/ls?device=' +
      encodeURIComponent($('device').value) + '&from=' + d0 + '&to=' +
      (d0 + DAY_MS)));
    status('');
  } catch (e) {
    showDay({ spans: [], events: [] });
    status(e.message);
  }
}

async function start() {
  $('day').value = params.get('day') || new Date().toISOString().slice(0, 10);
  try {
    const { devices } = await getJSON('api/devices');
    for (const d of devices) $('device').add(new Option(d, d));
    if (params.get('device')) $('device').value = params.get('device');
  } catch (e) {
    status(e.message);
  }
  $('reload').onclick = reload;
  $('device').onchange = reload;
  $('day').onchange = reload;
  $('timeline').onclick = (e) => {
    if (e.target !== e.currentTarget && !e.target.classList.contains('hours'))
      return;
    // A click between recordings plays from there to the end of the day.
    const rect = e.currentTarget.getBoundingClientRect();
    const at = view[0] + (e.clientX - rect.left) / rect.width *
      (view[1] - view[0]);
    play('from=' + Math.round(at) + '&to=' + (dayStart() + DAY_MS),
      'from ' + iso(at));
  };
  reload();
}

start();

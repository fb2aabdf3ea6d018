// SPDX-License-Identifier: LGPL-2.1-or-later
// The viewer: a device's day on a timeline (hours, recorded spans, events
// to scale, zoom, click to play from any instant), the events with their
// pictures, live viewing and export to MP4.  hls.js plays the store's
// playlists; every time is shown in the browser's time zone (or UTC) by
// Intl.  The page runs under a CSP without inline scripts or styles.
'use strict';

const $ = (id) => document.getElementById(id);
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const params = new URLSearchParams(location.search);

const state = {
  utc: params.get('utc') === '1',
  view: [0, DAY],       // the part of the day the timeline shows
  ls: { spans: [], events: [] },
  hidden: new Set(),    // trigger names filtered out
  selected: -1,         // index in shownEvents()
  playTime: null,       // ms of the picture being played
  live: false,
  loads: 0,             // requests of the day's recordings made
};
let hls = null;
let lagTimer = null;
let liveRefresh = null;

function status(text) { $('status').textContent = text; }

// ---- Times, in the browser's zone or UTC --------------------------------

function zone() { return state.utc ? 'UTC' : undefined; }

const formats = new Map();
function format(ms, options) {
  const key = JSON.stringify(options) + state.utc;
  if (!formats.has(key))
    formats.set(key, new Intl.DateTimeFormat(undefined,
      { ...options, timeZone: zone() }));
  return formats.get(key).format(new Date(ms));
}
const clock = (ms) => format(ms,
  { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const clockShort = (ms) => format(ms, { hour: '2-digit', minute: '2-digit' });
const dateTime = (ms) => format(ms, { dateStyle: 'medium', timeStyle: 'medium' });

// "1 m 12 s", "14 s", "2 h 5 m", "0.4 s".
function duration(ms) {
  if (ms > 0 && ms < SECOND) return (ms / SECOND).toFixed(1) + ' s';
  const s = Math.round(ms / SECOND);
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' m ' + (s % 60) + ' s';
  return Math.floor(s / 3600) + ' h ' + Math.floor(s % 3600 / 60) + ' m';
}

// The day "YYYY-MM-DD" in the shown zone: [start, end) in ms (23 or 25 h
// when the clocks change).
function dayRange(day) {
  const [y, m, d] = day.split('-').map(Number);
  if (state.utc) return [Date.UTC(y, m - 1, d), Date.UTC(y, m - 1, d + 1)];
  return [new Date(y, m - 1, d).getTime(), new Date(y, m - 1, d + 1).getTime()];
}

function dayOf(ms) {
  const t = new Date(ms);
  const parts = state.utc ?
    [t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate()] :
    [t.getFullYear(), t.getMonth() + 1, t.getDate()];
  return parts[0] + '-' + String(parts[1]).padStart(2, '0') + '-' +
    String(parts[2]).padStart(2, '0');
}

// ms of "HH:MM[:SS]" on the shown day.
function timeOnDay(text) {
  const [h, mi, s] = text.split(':').map(Number);
  const [y, m, d] = $('day').value.split('-').map(Number);
  return state.utc ? Date.UTC(y, m - 1, d, h, mi, s || 0) :
    new Date(y, m - 1, d, h, mi, s || 0).getTime();
}

function timeInput(ms) {
  const t = new Date(ms);
  const hms = state.utc ? [t.getUTCHours(), t.getUTCMinutes(), t.getUTCSeconds()]
    : [t.getHours(), t.getMinutes(), t.getSeconds()];
  return hms.map((v) => String(v).padStart(2, '0')).join(':');
}

// ---- Events: named by their triggers and time ----------------------------

const TRIGGERS = ['motion', 'person', 'sound', 'linkage'];
function triggerNames(bits) {
  const names = [];
  for (let b = 0; b < 32; b++)
    if (bits & (1 << b)) names.push(TRIGGERS[b] || 'trigger ' + b);
  return names;
}
const capital = (s) => s.charAt(0).toUpperCase() + s.slice(1);
const eventName = (ev) => capital(triggerNames(ev.triggers).join(' + ') ||
  'event');
const eventEnd = (ev) => ev.end_ms > ev.start_ms ? ev.end_ms : ev.start_ms;
// An event still being recorded has no end yet.
const eventLength = (ev) => ev.end_ms < 0 ? 'going on' :
  duration(eventEnd(ev) - ev.start_ms);
const eventTitle = (ev) => eventName(ev) + ' at ' + clock(ev.start_ms) +
  ', ' + eventLength(ev);

function shownEvents() {
  return state.ls.events.filter((ev) =>
    !triggerNames(ev.triggers).every((n) => state.hidden.has(n)));
}

// ---- Data -----------------------------------------------------------------

async function getJSON(url, options) {
  const r = await fetch(url, options);
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

const device = () => $('device').value;
const deviceQuery = () => 'device=' + encodeURIComponent(device());

// Devices a page at a time: a store of thousands is not listed at once.
async function loadDevices(after) {
  const more = $('device').querySelector('option[value=""]');
  if (more) more.remove();
  const page = await getJSON('api/devices' +
    (after ? '?after=' + encodeURIComponent(after) : ''));
  for (const d of page.devices)
    if (!$('device').querySelector(`option[value="${CSS.escape(d)}"]`))
      $('device').add(new Option(d, d));
  if (page.next) {
    const opt = new Option('More devices…', '');
    opt.dataset.after = page.next;
    $('device').add(opt);
  }
}

function remember() {
  const p = new URLSearchParams({ device: device(), day: $('day').value });
  if (state.utc) p.set('utc', '1');
  history.replaceState(null, '', '?' + p);
}

async function reload() {
  const [d0, d1] = dayRange($('day').value);
  $('day-name').textContent = format(d0 + HOUR,
    { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });
  $('zone').textContent = state.utc ? '' :
    Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!device() || isNaN(d0)) return;
  remember();
  status('loading…');
  // Only the answer to the newest request is shown.
  const load = ++state.loads;
  let ls;
  try {
    ls = await getJSON('api/ls?' + deviceQuery() + '&from=' + d0 + '&to=' + d1);
    if (load === state.loads) status('');
  } catch (e) {
    ls = { spans: [], events: [] };
    if (load === state.loads) status(e.message);
  }
  if (load !== state.loads) return;
  state.ls = ls;
  if (state.view[0] < d0 || state.view[1] > d1) state.view = [d0, d1];
  state.selected = -1;
  showFilters();
  showEvents();
  render();
  $('timeline').dataset.loaded = 'true';
}

// ---- The timeline ---------------------------------------------------------

// Label step and minor tick step; the first whose labels have room (times
// with seconds are longer).
const STEPS = [[10 * SECOND, 2 * SECOND], [30 * SECOND, 10 * SECOND],
  [MINUTE, 10 * SECOND], [5 * MINUTE, MINUTE], [10 * MINUTE, 2 * MINUTE],
  [15 * MINUTE, 5 * MINUTE], [30 * MINUTE, 10 * MINUTE], [HOUR, 15 * MINUTE],
  [2 * HOUR, 30 * MINUTE], [3 * HOUR, HOUR], [6 * HOUR, HOUR]];

const viewWidth = () => state.view[1] - state.view[0];
const percent = (ms) => (ms - state.view[0]) / viewWidth() * 100;

function place(el, start, end) {
  const a = Math.max(start, state.view[0]);
  el.style.left = percent(a) + '%';
  if (end !== undefined)
    el.style.width = (Math.min(end, state.view[1]) - a) / viewWidth() * 100 +
      '%';
}

const visible = (start, end) => end >= state.view[0] && start <= state.view[1];

function renderRuler() {
  const ruler = $('ruler');
  ruler.textContent = '';
  const px = $('track').clientWidth || 1000;
  const [major, minor] = STEPS.find(([m]) =>
    m / viewWidth() * px >= (m < MINUTE ? 72 : 48)) || STEPS[STEPS.length - 1];
  const d0 = dayRange($('day').value)[0];
  const first = d0 + Math.ceil((state.view[0] - d0) / minor) * minor;
  for (let t = first; t <= state.view[1]; t += minor) {
    const tick = document.createElement('div');
    const labelled = (t - d0) % major === 0;
    tick.className = labelled ? 'tick major' : 'tick';
    place(tick, t);
    if (labelled) {
      const label = document.createElement('span');
      label.textContent = major < MINUTE ? clock(t) : clockShort(t);
      tick.appendChild(label);
    }
    ruler.appendChild(tick);
  }
  const [v0, v1] = state.view;
  const at = viewWidth() < HOUR ? clock : clockShort;
  const whole = dayRange($('day').value);
  $('range').textContent = (v0 === whole[0] && v1 === whole[1] ? 'the whole day' :
    at(v0) + ' – ' + at(v1)) + (state.utc ? ' UTC' : '');
}

function render() {
  const track = $('track');
  const thumbs = $('thumbs');
  track.textContent = '';
  thumbs.textContent = '';
  for (const sp of state.ls.spans) {
    if (!visible(sp.start_ms, sp.end_ms)) continue;
    const el = document.createElement('div');
    el.className = 'span';
    el.title = clock(sp.start_ms) + ' – ' + clock(sp.end_ms) + ' (' +
      duration(sp.end_ms - sp.start_ms) + ')';
    place(el, sp.start_ms, sp.end_ms);
    track.appendChild(el);
  }
  let lastThumb = -Infinity;
  const px = track.clientWidth || 1000;
  shownEvents().forEach((ev, i) => {
    if (!visible(ev.start_ms, eventEnd(ev))) return;
    const marker = document.createElement('div');
    marker.className = 'event-marker';
    marker.title = eventTitle(ev);
    marker.dataset.index = i;
    place(marker, ev.start_ms, eventEnd(ev));
    track.appendChild(marker);
    // Pictures where there is room for them.
    const x = percent(ev.start_ms) / 100 * px;
    if (ev.snapshot && x - lastThumb >= 52) {
      const img = document.createElement('img');
      img.className = 'thumb';
      img.src = 'store/' + ev.snapshot;
      img.alt = eventTitle(ev);
      img.title = eventTitle(ev);
      place(img, ev.start_ms);
      img.onclick = (e) => { e.stopPropagation(); selectEvent(i); };
      thumbs.appendChild(img);
      lastThumb = x;
    }
  });
  renderRuler();
  renderPlayhead();
  $('timeline').dataset.viewFrom = state.view[0];
  $('timeline').dataset.viewTo = state.view[1];
}

function renderPlayhead() {
  const head = $('playhead');
  const t = state.playTime;
  head.hidden = t === null || t < state.view[0] || t > state.view[1];
  if (!head.hidden) place(head, t);
}

// [v0, v0 + width) around @center, within the day.
function zoomTo(width, center) {
  const [d0, d1] = dayRange($('day').value);
  width = Math.min(width, d1 - d0);
  let v0 = Math.round(center - width / 2);
  v0 = Math.max(d0, Math.min(v0, d1 - width));
  state.view = [v0, v0 + width];
  render();
}

function zoomCenter() {
  const t = state.playTime;
  return t !== null && t >= state.view[0] && t <= state.view[1] ? t :
    (state.view[0] + state.view[1]) / 2;
}

function timeAt(clientX) {
  const rect = $('track').getBoundingClientRect();
  return state.view[0] + (clientX - rect.left) / rect.width * viewWidth();
}

// ---- Playing --------------------------------------------------------------

function stopPlaying() {
  if (hls) hls.destroy();
  hls = null;
  clearInterval(lagTimer);
  clearInterval(liveRefresh);
  state.live = false;
  $('live').classList.remove('on');
  $('lag').textContent = '';
  delete $('lag').dataset.ms;
}

// Plays @url; once its segments are known, from @at (ms) when given.
function play(url, what, at) {
  stopPlaying();
  const video = $('video');
  $('playing').textContent = what;
  $('pdt').textContent = '-';
  delete $('pdt').dataset.utc;
  state.playTime = null;
  renderPlayhead();
  hls = new Hls({ autoStartLoad: false, liveSyncDurationCount: 2 });
  let started = false;
  hls.on(Hls.Events.LEVEL_LOADED, (_, data) => {
    if (started) return;
    started = true;
    let position = -1;
    if (at !== undefined) {
      const frags = data.details.fragments;
      const frag = frags.find((f) => f.programDateTime + f.duration * 1000 > at);
      position = frag ? frag.start + Math.max(0, at - frag.programDateTime) /
        1000 : 0;
    }
    hls.startLoad(position);
    if (position >= 0) video.currentTime = position;
    video.play().catch(() => {});
  });
  hls.on(Hls.Events.ERROR, (_, data) => {
    if (!data.fatal) return;
    let why = data.details;
    try {
      why = JSON.parse(data.networkDetails.responseText).error || why;
    } catch (e) { /* not one of ours */ }
    status('cannot play: ' + why);
  });
  video.ontimeupdate = () => {
    const date = hls && hls.playingDate;
    if (!date) return;
    state.playTime = date.getTime();
    $('pdt').textContent = dateTime(state.playTime);
    $('pdt').dataset.utc = date.toISOString();
    // The playhead stays in view: the timeline follows playback.
    if (state.playTime > state.view[1] || state.playTime < state.view[0]) {
      const [d0, d1] = dayRange($('day').value);
      if (state.playTime >= d0 && state.playTime < d1)
        zoomTo(viewWidth(), state.playTime + viewWidth() * 0.4);
    }
    renderPlayhead();
  };
  hls.loadSource(url);
  hls.attachMedia(video);
}

// From @at to the end of the day: what is recorded after @at plays on.
function playFrom(at) {
  const end = dayRange($('day').value)[1];
  const after = state.ls.spans.find((sp) => sp.end_ms > at);
  if (!after) {
    status('nothing recorded after ' + clock(at));
    return;
  }
  status(after.start_ms > at ? 'nothing recorded at ' + clock(at) +
    ': playing from ' + clock(after.start_ms) : '');
  $('export-from').value = timeInput(Math.max(at, after.start_ms));
  $('export-to').value = timeInput(Math.min(end - SECOND,
    Math.max(at, after.start_ms) + MINUTE));
  play('api/playlist.m3u8?' + deviceQuery() + '&from=' + Math.floor(at) +
    '&to=' + end, 'from ' + clock(at), at);
}

function playEvent(ev) {
  status('');
  play('api/playlist.m3u8?' + deviceQuery() + '&event=' +
    encodeURIComponent(ev.id), eventTitle(ev));
}

// Live: a playlist of the newest segments that hls.js reloads, and how far
// behind the recording the picture is.
function playLive() {
  const today = dayOf(Date.now());
  if ($('day').value !== today) {
    $('day').value = today;
    reload();
  }
  play('api/live.m3u8?' + deviceQuery(), 'live');
  state.live = true;
  $('live').classList.add('on');
  lagTimer = setInterval(() => {
    const date = hls && hls.playingDate;
    if (!date) return;
    const lag = Math.max(0, Date.now() - date.getTime());
    $('lag').dataset.ms = lag;
    $('lag').textContent = '· ' + duration(Math.round(lag / SECOND) * SECOND) +
      ' behind';
  }, 500);
  // New recordings appear on the timeline too.
  liveRefresh = setInterval(() => {
    if (state.live && $('day').value === dayOf(Date.now())) reloadQuietly();
  }, 15 * SECOND);
}

async function reloadQuietly() {
  const [d0, d1] = dayRange($('day').value);
  const load = ++state.loads;
  try {
    const ls = await getJSON('api/ls?' + deviceQuery() + '&from=' + d0 +
      '&to=' + d1);
    if (load !== state.loads) return;
    state.ls = ls;
    render();
  } catch (e) { /* the next try */ }
}

// ---- Events ---------------------------------------------------------------

function showFilters() {
  const filters = $('filters');
  filters.textContent = '';
  const counts = new Map();
  for (const ev of state.ls.events)
    for (const n of triggerNames(ev.triggers))
      counts.set(n, (counts.get(n) || 0) + 1);
  for (const [name, count] of counts) {
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = !state.hidden.has(name);
    box.dataset.trigger = name;
    box.onchange = () => {
      if (box.checked) state.hidden.delete(name); else state.hidden.add(name);
      state.selected = -1;
      showEvents();
      render();
    };
    label.append(box, ' ' + capital(name) + ' (' + count + ')');
    filters.appendChild(label);
  }
}

function showEvents() {
  const cards = $('events');
  cards.textContent = '';
  const events = shownEvents();
  if (events.length === 0) {
    const empty = document.createElement('p');
    empty.className = 'empty';
    empty.textContent = state.ls.events.length ?
      'No events of these triggers this day' : 'No events this day';
    cards.appendChild(empty);
  }
  events.forEach((ev, i) => {
    const card = document.createElement('div');
    card.className = 'event-card';
    card.tabIndex = 0;
    card.dataset.index = i;
    const picture = document.createElement(ev.snapshot ? 'img' : 'div');
    picture.className = 'picture';
    if (ev.snapshot) {
      picture.src = 'store/' + ev.snapshot;
      picture.alt = eventTitle(ev);
    } else {
      picture.textContent = 'no picture';
    }
    const name = document.createElement('div');
    name.className = 'name';
    name.textContent = eventName(ev);
    const when = document.createElement('div');
    when.className = 'when';
    when.textContent = clock(ev.start_ms) + ' · ' + eventLength(ev);
    const buttons = document.createElement('div');
    const playButton = document.createElement('button');
    playButton.textContent = 'Play';
    playButton.onclick = () => selectEvent(i);
    const exportButton = document.createElement('button');
    exportButton.textContent = 'Export';
    exportButton.className = 'export-event';
    exportButton.onclick = () => startExport('event=' +
      encodeURIComponent(ev.id), eventTitle(ev));
    buttons.append(playButton, ' ', exportButton);
    card.append(picture, name, when, buttons);
    card.onclick = (e) => { if (!e.target.closest('button')) selectEvent(i); };
    cards.appendChild(card);
  });
  $('events').dataset.count = events.length;
}

function selectEvent(i) {
  const events = shownEvents();
  if (i < 0 || i >= events.length) return;
  state.selected = i;
  document.querySelectorAll('.event-card').forEach((c) =>
    c.classList.toggle('selected', Number(c.dataset.index) === i));
  const card = document.querySelector(`.event-card[data-index="${i}"]`);
  if (card) card.scrollIntoView({ block: 'nearest' });
  const ev = events[i];
  // Short events are seen to scale once zoomed in to them.
  if (eventEnd(ev) - ev.start_ms < viewWidth() / 50)
    zoomTo(Math.max(MINUTE, 4 * (eventEnd(ev) - ev.start_ms)),
      (ev.start_ms + eventEnd(ev)) / 2);
  playEvent(ev);
}

// ---- Export ---------------------------------------------------------------

async function startExport(query, what) {
  const progress = $('export-progress');
  const link = $('export-link');
  link.hidden = true;
  progress.hidden = false;
  progress.value = 0;
  $('export-status').textContent = 'exporting ' + what + '…';
  try {
    const { id } = await getJSON('api/export?' + deviceQuery() + '&' + query,
      { method: 'POST' });
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 400));
      const job = await getJSON('api/export?id=' + id);
      progress.value = job.percent;
      $('export-status').textContent = job.state === 'running' ?
        'exporting ' + what + ': ' + job.percent + ' %' : '';
      if (job.state === 'failed') throw new Error(job.error);
      if (job.state === 'done') {
        link.href = 'api/export.mp4?id=' + id;
        link.download = job.name;
        link.textContent = 'Download ' + job.name;
        link.hidden = false;
        $('export-status').textContent = 'exported ' + what;
        return;
      }
    }
  } catch (e) {
    progress.hidden = true;
    $('export-status').textContent = 'export failed: ' + e.message;
  }
}

function exportRange() {
  const from = timeOnDay($('export-from').value || '00:00');
  const to = timeOnDay($('export-to').value || '00:00');
  if (!(to > from)) {
    $('export-status').textContent = 'give a "to" after "from"';
    return;
  }
  startExport('from=' + from + '&to=' + to, clock(from) + ' – ' + clock(to));
}

// ---- Wiring -----------------------------------------------------------------

function shiftDay(days) {
  const [y, m, d] = $('day').value.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1, d + days));
  $('day').value = t.toISOString().slice(0, 10);
  state.view = dayRange($('day').value);
  reload();
}

function wire() {
  $('device').onchange = () => {
    const opt = $('device').selectedOptions[0];
    if (opt && opt.value === '') {
      loadDevices(opt.dataset.after).catch((e) => status(e.message));
      return;
    }
    reload();
  };
  $('day').onchange = () => { state.view = dayRange($('day').value); reload(); };
  // The date input's own text follows the browser's language, not the
  // locale's format: the day is shown by Intl, the input only picks.
  $('day-name').onclick = () => {
    try {
      $('day').showPicker();
    } catch (e) {   // a browser without it: the input itself
      $('day').classList.add('shown');
      $('day').focus();
    }
  };
  $('prev-day').onclick = () => shiftDay(-1);
  $('next-day').onclick = () => shiftDay(1);
  $('utc').checked = state.utc;
  $('utc').onchange = () => {
    state.utc = $('utc').checked;
    state.view = dayRange($('day').value);
    reload();
  };
  $('live').onclick = playLive;
  $('export').onclick = exportRange;
  document.querySelectorAll('[data-zoom]').forEach((b) => {
    b.onclick = () => zoomTo(Number(b.dataset.zoom), zoomCenter());
  });
  // Half a view earlier or later.
  $('pan-left').onclick = () => zoomTo(viewWidth(), state.view[0]);
  $('pan-right').onclick = () => zoomTo(viewWidth(), state.view[1]);
  const timeline = $('timeline');
  timeline.onclick = (e) => playFrom(timeAt(e.clientX));
  timeline.onmousemove = (e) => {
    const t = timeAt(e.clientX);
    const hover = $('hover');
    hover.hidden = false;
    place(hover, t);
    const over = e.target.classList.contains('event-marker') ||
      e.target.classList.contains('thumb') ?
      shownEvents()[Number(e.target.dataset.index)] : null;
    $('hover-time').textContent = clock(t) + (over ? ' · ' + eventName(over) : '');
  };
  timeline.onmouseleave = () => { $('hover').hidden = true; };
  timeline.addEventListener('wheel', (e) => {
    e.preventDefault();
    const t = timeAt(e.clientX);
    const width = Math.max(20 * SECOND, viewWidth() * (e.deltaY < 0 ? 0.5 : 2));
    // Zoom about the instant under the pointer.
    const v0 = t - (t - state.view[0]) * width / viewWidth();
    zoomTo(width, v0 + width / 2);
  }, { passive: false });
  document.addEventListener('keydown', (e) => {
    if (e.target.matches('input, select, textarea, video') || e.altKey ||
        e.ctrlKey || e.metaKey)
      return;
    const step = { ArrowRight: 1, j: 1, ArrowLeft: -1, k: -1 }[e.key];
    if (!step) return;
    e.preventDefault();
    const n = shownEvents().length;
    if (n === 0) return;
    selectEvent(state.selected < 0 ? (step > 0 ? 0 : n - 1) :
      Math.min(n - 1, Math.max(0, state.selected + step)));
  });
  window.onresize = render;
}

async function start() {
  $('day').value = params.get('day') || dayOf(Date.now());
  state.view = dayRange($('day').value);
  wire();
  try {
    await loadDevices();
    const wanted = params.get('device');
    if (wanted && !$('device').querySelector(`option[value="${CSS.escape(wanted)}"]`))
      $('device').add(new Option(wanted, wanted), 0);
    if (wanted) $('device').value = wanted;
  } catch (e) {
    status(e.message);
  }
  reload();
}

start();

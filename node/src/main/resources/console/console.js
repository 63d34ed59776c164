'use strict';
// The KD-Edge console: one page, no build step. It reads the node's JSON API and its event stream; every change is
// sent with the CSRF token from the XSRF-TOKEN cookie and checked again by the node, whatever this page shows.

const LINE_MINUTES = 5;
const PARTS_PER_STATION = 12;
const state = {
  role: null,
  writable: false,
  parts: [],          // the line's parts of the last minutes, newest first
  paused: false,
  waiting: [],        // parts that arrived while paused, oldest first
  products: [],
  results: [],        // the selected product's latest results
  events: null,
  confirm: null,
};

const $ = (id) => document.getElementById(id);

function csrfToken() {
  const cookie = document.cookie.split('; ').find((c) => c.startsWith('XSRF-TOKEN='));
  return cookie ? decodeURIComponent(cookie.substring('XSRF-TOKEN='.length)) : '';
}

async function api(method, path, body) {
  const headers = { 'X-XSRF-TOKEN': csrfToken() };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return null;
  const json = await response.json().catch(() => ({ error: 'HTTP ' + response.status }));
  if (!response.ok) {
    const error = new Error(json.error || 'HTTP ' + response.status);
    error.status = response.status;
    throw error;
  }
  return json;
}

function say(text, isError) {
  const message = $('message');
  message.textContent = text;
  message.className = isError ? 'error' : '';
}

function fixed(x) {
  return x === null || x === undefined ? '—' : Number(x).toPrecision(4);
}

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  Object.entries(attributes || {}).forEach(([k, v]) => {
    if (k === 'class') node.className = v; else if (k === 'text') node.textContent = v; else node.setAttribute(k, v);
  });
  children.forEach((child) => node.append(child));
  return node;
}

function isEngineer() {
  return state.role === 'engineer';
}

// ---- signing in

async function start() {
  try {
    const me = await api('GET', '/api/session');
    signedIn(me);
  } catch (e) {
    if (e.status === 401) showSignIn(); else say(e.message, true);
  }
}

function showSignIn() {
  $('console').hidden = true;
  $('who').hidden = true;
  $('sign-in').hidden = false;
  $('account-name').focus();
}

function signedIn(me) {
  state.role = me.role;
  state.writable = me.writable;
  $('account').textContent = me.account;
  $('role').textContent = me.role;
  $('who').hidden = false;
  $('sign-in').hidden = true;
  $('console').hidden = false;
  if (!isEngineer()) {
    // an observer gets no write controls at all (the node refuses their writes anyway)
    document.querySelectorAll('.engineer-only').forEach((node) => node.remove());
  } else if (!me.writable) {
    say('Changes to the model store are off on this node: ' + me.writesRefused);
  }
  loadLine();
  loadProducts();
  loadReviewQueue();
}

$('sign-in').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('sign-in-error').textContent = '';
  try {
    const me = await api('POST', '/api/session', { account: $('account-name').value, password: $('password').value });
    $('password').value = '';
    const session = await api('GET', '/api/session');
    signedIn(Object.assign(me, session));
  } catch (e) {
    $('sign-in-error').textContent = e.message;
  }
});

$('sign-out').addEventListener('click', async () => {
  await api('DELETE', '/api/session').catch(() => null);
  window.location.reload();
});

// ---- views

document.querySelectorAll('.tab').forEach((tab) => tab.addEventListener('click', () => showView(tab.dataset.view)));

function showView(name) {
  document.querySelectorAll('.tab').forEach((tab) => tab.setAttribute('aria-pressed', String(tab.dataset.view === name)));
  document.querySelectorAll('.view').forEach((view) => { view.hidden = view.id !== 'view-' + name; });
  if (name === 'product') loadResults();
  if (name === 'review') loadReviewQueue();
  if (name === 'changes') loadChanges();
}

// ---- line

async function loadLine() {
  try {
    state.parts = await api('GET', '/api/parts?minutes=' + LINE_MINUTES + '&limit=2000');
    renderLine();
  } catch (e) {
    say(e.message, true);
  }
  if (!state.events) {
    state.events = new EventSource('/api/events');
    state.events.addEventListener('part', (event) => arrived(JSON.parse(event.data)));
  }
}

function arrived(part) {
  if (state.parts.some((p) => p.resultId === part.resultId) || state.waiting.some((p) => p.resultId === part.resultId)) {
    return;
  }
  if (state.paused) {
    state.waiting.push(part);
    $('step').disabled = false;
    $('waiting').textContent = state.waiting.length + ' waiting';
  } else {
    state.parts.unshift(part);
    renderLine();
  }
  if (part.evaluation === 'NOT_DECIDABLE') loadReviewQueue();
}

$('pause').addEventListener('click', () => {
  state.paused = !state.paused;
  $('pause').textContent = state.paused ? 'Resume' : 'Pause';
  $('pause').setAttribute('aria-pressed', String(state.paused));
  if (!state.paused) {
    state.waiting.reverse().forEach((part) => state.parts.unshift(part));
    state.waiting = [];
    $('waiting').textContent = '';
    $('step').disabled = true;
    renderLine();
  }
});

$('step').addEventListener('click', () => {
  const next = state.waiting.shift();
  if (next) {
    state.parts.unshift(next);
    renderLine();
  }
  $('step').disabled = state.waiting.length === 0;
  $('waiting').textContent = state.waiting.length ? state.waiting.length + ' waiting' : '';
});

function percentile(values, p) {
  if (!values.length) return null;
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

function renderLine() {
  const since = Date.now() - LINE_MINUTES * 60000;
  state.parts = state.parts.filter((p) => p.recordedAt >= since || state.parts.indexOf(p) < PARTS_PER_STATION);
  const recent = state.parts.filter((p) => p.recordedAt >= since);
  const rejected = recent.filter((p) => p.evaluation === 'NOT_OK').length;
  const review = recent.filter((p) => p.evaluation === 'NOT_DECIDABLE').length;
  const p99 = percentile(recent.map((p) => p.totalMs).filter((ms) => ms > 0), 0.99);
  $('line-stats').textContent = 'Last ' + LINE_MINUTES + ' minutes: ' + recent.length + ' parts, reject rate '
    + (recent.length ? (100 * rejected / recent.length).toFixed(1) : '0.0') + '%, ' + review + ' to review, p99 latency '
    + (p99 === null ? '—' : p99.toFixed(1) + ' ms');
  const byStation = new Map();
  state.parts.forEach((p) => {
    const station = p.station || '(no station)';
    if (!byStation.has(station)) byStation.set(station, []);
    if (byStation.get(station).length < PARTS_PER_STATION) byStation.get(station).push(p);
  });
  const stations = $('stations');
  stations.replaceChildren();
  [...byStation.keys()].sort().forEach((station) => {
    const list = el('ul', { class: 'cards' });
    byStation.get(station).forEach((part) => list.append(partCard(part)));
    stations.append(el('section', { class: 'station', 'aria-label': 'Station ' + station },
      el('h3', { text: station }), list));
  });
}

function thumbnail(part) {
  // every part that is not OK has its image kept (written just after its result: try it even when the result said
  // not yet); an OK part's only when it is in the sample
  if (!part.imageKept && part.evaluation === 'OK') return el('div', { class: 'no-image', text: 'image not kept' });
  const image = el('img', { src: '/api/results/' + part.resultId + '/image?overlay=true',
    alt: 'Part ' + part.partId + (part.evaluation === 'OK' ? '' : ' with its heatmap'), loading: 'lazy' });
  image.addEventListener('error', () => image.replaceWith(el('div', { class: 'no-image', text: 'image not kept' })));
  return image;
}

function partCard(part, ...extra) {
  return el('li', { class: 'card part', 'data-result-id': String(part.resultId) }, thumbnail(part),
    el('div', {},
      el('div', { text: part.partId + (part.view ? ' · ' + part.view : '') }),
      el('div', { class: 'evaluation ' + part.evaluation, text: part.evaluation.replace('_', ' ') }),
      el('div', { text: part.product + ' v' + part.version + ' · score ' + fixed(part.rawScore)
        + ' / ' + fixed(part.threshold) }),
      el('div', { text: new Date(part.recordedAt).toLocaleTimeString() + (part.note ? ' · ' + part.note : '') }),
      ...extra));
}

// ---- product: histogram, threshold slider, versions

async function loadProducts() {
  try {
    state.products = await api('GET', '/api/products');
  } catch (e) {
    say(e.message, true);
    return;
  }
  const select = $('product');
  const chosen = select.value;
  select.replaceChildren(...state.products.map((p) => el('option', { value: p.product, text: p.product })));
  if (chosen) select.value = chosen;
  renderVersions();
}

function product() {
  return state.products.find((p) => p.product === $('product').value);
}

function activeVersion() {
  const p = product();
  return p && p.versions.find((v) => v.active);
}

$('product').addEventListener('change', () => { renderVersions(); loadResults(); });
$('last-n').addEventListener('change', loadResults);

async function loadResults() {
  const p = product();
  if (!p) return;
  try {
    state.results = await api('GET', '/api/results?product=' + encodeURIComponent(p.product) + '&limit=' + $('last-n').value);
  } catch (e) {
    say(e.message, true);
    return;
  }
  const active = activeVersion();
  const scores = state.results.map((r) => r.rawScore).concat(active ? [active.threshold] : []);
  const slider = $('threshold-slider');
  const low = Math.min(...scores);
  const high = Math.max(...scores);
  const pad = (high - low) * 0.05 || Math.abs(high) * 0.05 || 0.01;
  slider.min = String(Math.max(0, low - pad));
  slider.max = String(high + pad);
  slider.value = String(active ? active.threshold : high);
  $('product-summary').textContent = state.results.length + ' latest results of ' + p.product
    + (active ? '; version ' + active.version + ' (' + active.method + ') serves threshold ' + fixed(active.threshold)
      + (active.reviewFrom !== null ? ', review from ' + fixed(active.reviewFrom) : '')
      + (active.fittedThreshold !== active.threshold ? ', fitted ' + fixed(active.fittedThreshold) : '') : '')
    + '. ' + driftText(p);
  $('reviewed-download').href = '/api/products/' + encodeURIComponent(p.product) + '/reviewed.zip';
  renderHistogram();
  preview();
  renderRecalibrate();
  loadShadow();
  renderRegion();
}

function driftText(p) {
  if (!p.drift) return 'Drift: no reading yet (too few OK results of the active version, or no held-out scores).';
  return 'Drift: ' + p.drift.statistic.toFixed(3) + ' (Kolmogorov-Smirnov, the latest ' + p.drift.recent
    + ' OK results of version ' + p.drift.version + ' against its ' + p.drift.heldOut
    + ' held-out normals; 0 alike, 1 apart)';
}

/** The evaluation a score gets at threshold t, with the active version's review band kept where it lies below t. */
function evaluationAt(score, t, reviewFrom) {
  if (score >= t) return 'NOT_OK';
  if (reviewFrom !== null && reviewFrom !== undefined && reviewFrom < t && score >= reviewFrom) return 'NOT_DECIDABLE';
  return 'OK';
}

function flipsAt(t) {
  const active = activeVersion();
  const reviewFrom = active ? active.reviewFrom : null;
  return state.results.map((r) => ({ result: r, wouldBe: evaluationAt(r.rawScore, t, reviewFrom) }))
    .filter((f) => f.wouldBe !== f.result.evaluation);
}

function preview() {
  const t = Number($('threshold-slider').value);
  $('threshold-value').textContent = fixed(t);
  const flips = flipsAt(t);
  $('preview').textContent = flips.length + ' of the last ' + state.results.length
    + ' results would change evaluation at threshold ' + fixed(t);
  $('preview').dataset.changes = String(flips.length);
  const body = $('flips').querySelector('tbody');
  body.replaceChildren(...flips.slice(0, 200).map((f) => el('tr', {},
    el('td', { text: String(f.result.resultId) }), el('td', { text: f.result.partId }),
    el('td', { text: fixed(f.result.rawScore) }),
    el('td', { class: f.result.evaluation, text: f.result.evaluation }),
    el('td', { class: f.wouldBe, text: f.wouldBe }))));
  $('flips').hidden = flips.length === 0;
  drawThreshold();
}

$('threshold-slider').addEventListener('input', preview);

let histogram = null;

function renderHistogram() {
  const container = $('histogram');
  container.replaceChildren();
  histogram = null;
  if (!state.results.length || typeof uPlot === 'undefined') return;
  const slider = $('threshold-slider');
  const low = Number(slider.min);
  const high = Number(slider.max);
  const bins = 40;
  const width = (high - low) / bins || 1;
  const centers = [];
  const counts = { OK: [], NOT_OK: [], NOT_DECIDABLE: [] };
  for (let i = 0; i < bins; i++) {
    centers.push(low + (i + 0.5) * width);
    Object.values(counts).forEach((c) => c.push(0));
  }
  state.results.forEach((r) => {
    const label = r.review ? r.review.evaluation : r.evaluation;
    const bin = Math.min(bins - 1, Math.max(0, Math.floor((r.rawScore - low) / width)));
    counts[label][bin] += 1;
  });
  const bars = uPlot.paths.bars({ size: [0.9, 40] });
  histogram = new uPlot({
    width: Math.min(container.parentElement.clientWidth || 800, 900),
    height: 240,
    scales: { x: { time: false, range: [low, high] } },
    axes: [{ label: 'raw score' }, { label: 'results' }],
    legend: { live: false },
    series: [
      {},
      { label: 'OK', stroke: '#1e6b34', fill: 'rgba(30,107,52,0.5)', paths: bars, points: { show: false } },
      { label: 'NOT OK', stroke: '#a4161a', fill: 'rgba(164,22,26,0.5)', paths: bars, points: { show: false } },
      { label: 'to review', stroke: '#8a5a00', fill: 'rgba(138,90,0,0.5)', paths: bars, points: { show: false } },
    ],
    hooks: { draw: [(u) => drawThresholdLine(u)] },
  }, [centers, counts.OK, counts.NOT_OK, counts.NOT_DECIDABLE], container);
}

function drawThresholdLine(u) {
  const x = u.valToPos(Number($('threshold-slider').value), 'x', true);
  const ctx = u.ctx;
  ctx.save();
  ctx.strokeStyle = '#0b57d0';
  ctx.lineWidth = 2 * devicePixelRatio;
  ctx.beginPath();
  ctx.moveTo(x, u.bbox.top);
  ctx.lineTo(x, u.bbox.top + u.bbox.height);
  ctx.stroke();
  ctx.restore();
}

function drawThreshold() {
  if (histogram) histogram.redraw(false, false);
}

function renderVersions() {
  const p = product();
  const body = $('versions').querySelector('tbody');
  if (!p) {
    body.replaceChildren();
    return;
  }
  body.replaceChildren(...p.versions.slice().reverse().map((v) => {
    const stateCell = el('td', { text: v.active ? 'active' : '' });
    if (!v.active && isEngineer() && state.writable) {
      const promote = el('button', { type: 'button', class: 'promote', text: 'Promote v' + v.version + '…' });
      promote.addEventListener('click', () => askToPromote(p, v.version, ''));
      stateCell.append(promote);
    }
    return el('tr', { 'data-version': String(v.version) }, el('td', { text: String(v.version) }),
      el('td', { text: v.method }), el('td', { text: fixed(v.threshold) }), el('td', { text: fixed(v.reviewFrom) }),
      el('td', { class: 'region', text: v.dontCare ? shareLeftOut(v.dontCare) : 'none' }),
      el('td', { text: v.createdAt }), stateCell);
  }));
  const rollback = $('rollback');
  if (rollback) rollback.disabled = !state.writable || p.previousActiveVersions.length === 0;
}

/**
 * What serving another version would change in what counts, for a change's confirmation: a fine-tune keeps the
 * region of the version it started from, so a candidate may leave out another region than the one served now.
 */
function regionChange(p, version) {
  const served = activeVersion();
  const next = p.versions.find((v) => v.version === version);
  const sha = (v) => (v.dontCare ? v.dontCare.sha256 : '');
  if (!served || !next || sha(served) === sha(next)) return '';
  const leaves = (v) => (v.dontCare ? 'leaves out ' + shareLeftOut(v.dontCare) + ' of the frame'
    : 'counts every pixel');
  return ' Its don\'t-care region is not the one served now: version ' + next.version + ' ' + leaves(next)
    + ', version ' + served.version + ' ' + leaves(served) + '.';
}

/** A don't-care region's share of the frame, as the console shows it: "12.5%". */
function shareLeftOut(region) {
  return (100 * region.coveredShare).toFixed(1) + '%';
}

/** Asks to serve a version on the line, saying where its region is not the one served now; note ends the question. */
function askToPromote(p, version, note) {
  ask('Serve version ' + version + ' of ' + p.product + ' on the line' + note + '?' + regionChange(p, version),
    () => change('POST', '/api/products/' + encodeURIComponent(p.product) + '/promote', { version },
      'version ' + version + ' promoted'));
}

/** Shows what a change will do and runs it only on Confirm. */
function ask(text, action) {
  const box = $('confirm-box');
  if (!box) return;
  $('confirm-text').textContent = text;
  state.confirm = action;
  box.hidden = false;
  $('confirm-yes').focus();
}

if ($('confirm-yes')) {
  $('confirm-yes').addEventListener('click', async () => {
    const action = state.confirm;
    state.confirm = null;
    $('confirm-box').hidden = true;
    if (action) await action();
  });
  $('confirm-no').addEventListener('click', () => { state.confirm = null; $('confirm-box').hidden = true; });
  $('apply-threshold').addEventListener('click', () => {
    const p = product();
    const t = Number($('threshold-slider').value);
    const flips = flipsAt(t).length;
    ask('Serve ' + p.product + ' at threshold ' + fixed(t) + ' from now on (a new version with the same model; '
      + flips + ' of the last ' + state.results.length + ' results would have changed)?',
      () => change('POST', '/api/products/' + encodeURIComponent(p.product) + '/threshold', { threshold: t },
        'threshold ' + fixed(t) + ' applied'));
  });
  $('reset-threshold').addEventListener('click', () => {
    const p = product();
    const active = activeVersion();
    ask('Serve ' + p.product + ' at the threshold its fit set (' + fixed(active.fittedThreshold) + ')?',
      () => change('POST', '/api/products/' + encodeURIComponent(p.product) + '/threshold/reset', {},
        'threshold reset to the fitted ' + fixed(active.fittedThreshold)));
  });
  $('rollback').addEventListener('click', () => {
    const p = product();
    ask('Roll ' + p.product + ' back to version ' + p.previousActiveVersions[0] + '?'
      + regionChange(p, p.previousActiveVersions[0]),
      () => change('POST', '/api/products/' + encodeURIComponent(p.product) + '/rollback', {}, 'rolled back'));
  });
}

async function change(method, path, body, done) {
  try {
    await api(method, path, body);
    say(done);
    await loadProducts();
    await loadResults();
  } catch (e) {
    say(e.message, true);
  }
}

// ---- recalibrate: normals from kept OK parts, fine-tune, compare, promote

function renderRecalibrate() {
  const p = product();
  if (!$('recalibrate') || !p) return;
  $('normals-summary').textContent = p.uploadedNormals + ' normals collected for the next fine-tune. Select kept images '
    + 'of OK parts to add them.';
  const kept = state.results.filter((r) => r.imageKept && (r.review ? r.review.evaluation : r.evaluation) === 'OK')
    .slice(0, 60);
  $('kept-ok').replaceChildren(...kept.map((r) => {
    const box = el('input', { type: 'checkbox', value: String(r.resultId), 'aria-label': 'Part ' + r.partId });
    return el('li', {}, el('label', {}, el('img', { src: '/api/results/' + r.resultId + '/image', alt: '',
      loading: 'lazy' }), box, document.createTextNode(r.partId || String(r.resultId))));
  }));
  const select = $('compare-version');
  const chosen = select.value;
  select.replaceChildren(...p.versions.filter((v) => !v.active).slice().reverse()
    .map((v) => el('option', { value: String(v.version), text: 'version ' + v.version })));
  if (chosen && [...select.options].some((o) => o.value === chosen)) select.value = chosen;
  $('add-normals').disabled = !state.writable;
  $('upload-normals').disabled = !state.writable;
  $('start-fine-tune').disabled = !state.writable;
}

if ($('add-normals')) {
  $('add-normals').addEventListener('click', async () => {
    const ids = [...document.querySelectorAll('#kept-ok input:checked')].map((box) => Number(box.value));
    if (!ids.length) {
      say('Select the kept images to add first', true);
      return;
    }
    try {
      const added = await api('POST', '/api/products/' + encodeURIComponent(product().product) + '/normals',
        { resultIds: ids });
      say(added.stored + ' added as normals' + (added.duplicates ? ', ' + added.duplicates + ' already there' : '')
        + added.refused.map((r) => '; result ' + r.resultId + ' refused: ' + r.reason).join('') + ' ('
        + added.normals + ' collected)', added.refused.length > 0);
      await loadProducts();
      renderRecalibrate();
    } catch (e) {
      say(e.message, true);
    }
  });
  $('upload-normals').addEventListener('click', async () => {
    const files = [...$('upload-files').files];
    if (!files.length) {
      say('Choose the image files to upload first', true);
      return;
    }
    const p = product();
    const outcome = { STORED: 0, DUPLICATE: 0 };
    const refused = [];
    let normals = p.uploadedNormals;
    for (const file of files) {
      // one request per image, its body the file itself: a large folder never sits in the node's memory at once
      const response = await fetch('/api/products/' + encodeURIComponent(p.product) + '/uploads', {
        method: 'POST', credentials: 'same-origin', body: file,
        headers: { 'X-XSRF-TOKEN': csrfToken(), 'Content-Type': file.type || 'application/octet-stream' },
      });
      const json = await response.json().catch(() => ({ error: 'HTTP ' + response.status }));
      if (response.ok) {
        outcome[json.outcome] += 1;
        normals = json.normals;
      } else {
        refused.push(file.name + ': ' + json.error);
      }
    }
    say(outcome.STORED + ' uploaded as normals' + (outcome.DUPLICATE ? ', ' + outcome.DUPLICATE + ' already there' : '')
      + refused.map((r) => '; ' + r).join('') + ' (' + normals + ' collected)', refused.length > 0);
    $('upload-files').value = '';
    await loadProducts();
    renderRecalibrate();
  });
  $('start-fine-tune').addEventListener('click', async () => {
    try {
      const job = await api('POST', '/api/products/' + encodeURIComponent(product().product) + '/fine-tune',
        { epochs: Number($('epochs').value) });
      say('fine-tune ' + job.jobId + ' started');
      followJob(job.jobId);
    } catch (e) {
      say(e.message, true);
    }
  });
  $('compare').addEventListener('click', compareCandidate);
  $('promote-candidate').addEventListener('click', () => askToPromote(product(), Number($('compare-version').value),
    ''));
  $('discard-candidate').addEventListener('click', () => {
    $('comparison').hidden = true;
    $('candidate-actions').hidden = true;
    $('comparison-summary').textContent = 'Not promoted: version ' + $('compare-version').value
      + ' stays in the store, unused (versions are never deleted, so what was fitted can always be shown).';
  });
}

async function followJob(jobId) {
  const jobs = await api('GET', '/api/jobs').catch(() => []);
  const job = jobs.find((j) => j.jobId === jobId);
  if (!job) return;
  $('job').textContent = 'Fine-tune ' + job.jobId.substring(0, 8) + ': ' + job.state + (job.progress ? ', ' + job.progress : '')
    + (job.reason ? ' (' + job.reason + ')' : '');
  $('job').dataset.state = job.state;
  if (job.state === 'QUEUED' || job.state === 'RUNNING') {
    setTimeout(() => followJob(jobId), 1000);
  } else if (job.state === 'SUCCEEDED') {
    await loadProducts();
    renderRecalibrate();
    $('compare-version').value = String(job.version);
    await loadShadow();
  }
}

async function compareCandidate() {
  const p = product();
  const version = Number($('compare-version').value);
  if (!version) return;
  $('comparison-summary').textContent = 'Scoring the kept images with both versions…';
  try {
    const c = await api('POST', '/api/products/' + encodeURIComponent(p.product) + '/compare', { version, last: 50 });
    $('comparison-summary').textContent = 'Version ' + c.candidateVersion + ' agrees with the active version '
      + c.activeVersion + ' on ' + c.agreeing + ' of the ' + c.compared + ' kept images of the latest results.';
    $('comparison-summary').dataset.compared = String(c.compared);
    $('comparison-summary').dataset.agreeing = String(c.agreeing);
    const flips = c.judged.filter((j) => j.flips);
    const heatmap = (png, who) => (png ? el('img', { src: 'data:image/png;base64,' + png, alt: who + ' heatmap' })
      : el('span', { text: '—' }));
    $('comparison').querySelector('tbody').replaceChildren(...flips.map((j) => el('tr', {},
      el('td', { text: j.partId || String(j.resultId) }),
      el('td', { class: j.active, text: j.active + ' ' + fixed(j.activeScore) }),
      el('td', { class: j.candidate, text: j.candidate + ' ' + fixed(j.candidateScore) }),
      el('td', {}, heatmap(j.activeOverlay, 'Active')), el('td', {}, heatmap(j.candidateOverlay, 'Candidate')))));
    $('comparison').hidden = flips.length === 0;
    $('candidate-actions').hidden = false;
    $('promote-candidate').textContent = 'Promote version ' + c.candidateVersion + '…';
    $('promote-candidate').disabled = !state.writable;
  } catch (e) {
    $('comparison-summary').textContent = '';
    say(e.message, true);
  }
}

// ---- shadow: a candidate scored beside the active version on a share of live frames

async function loadShadow() {
  const p = product();
  if (!p) return;
  let s;
  try {
    s = await api('GET', '/api/products/' + encodeURIComponent(p.product) + '/shadow');
  } catch (e) {
    $('shadow-summary').textContent = e.message;
    return;
  }
  const running = s.shadow;
  const summary = $('shadow-summary');
  summary.dataset.judged = running ? String(s.judged) : '';
  summary.dataset.agreeing = running ? String(s.agreeing) : '';
  summary.textContent = !running ? 'No shadow runs: start one to score a candidate version beside the active one on '
    + 'a share of the live frames (its verdicts are recorded, never sent to the line).'
    : 'Version ' + running.candidateVersion + ' scores ' + Math.round(running.share * 100) + '% of the live frames '
      + 'beside the active version (since ' + new Date(running.since).toLocaleString() + ', started by '
      + running.startedBy + '): it agrees on ' + s.agreeing + ' of the ' + s.judged + ' frames judged'
      + (s.judged ? ' (' + (100 * s.agreeing / s.judged).toFixed(1) + '%)' : '') + '; ' + s.skipped
      + ' frames of its share were left to the line (no scoring worker free, its own frames still in flight, or its '
      + 'time budget spent).';
  $('shadow-pairings').querySelector('tbody').replaceChildren(...(running ? s.pairings : []).map((pair) => el('tr', {},
    el('td', { class: pair.active, text: pair.active }), el('td', { class: pair.candidate, text: pair.candidate }),
    el('td', { text: String(pair.frames) }))));
  $('shadow-pairings').hidden = !running || s.pairings.length === 0;
  $('shadow-disagreements').querySelector('tbody').replaceChildren(...(running ? s.disagreements : []).map((j) => el('tr', {},
    el('td', { text: j.partId }), el('td', { class: j.active, text: j.active + ' ' + fixed(j.activeScore) }),
    el('td', { class: j.candidate, text: j.candidate + ' ' + fixed(j.candidateScore) }),
    el('td', {}, j.imageKept ? el('img', { src: '/api/results/' + j.resultId + '/image?overlay=true',
      alt: 'Part ' + j.partId + ' with the active version\'s heatmap', loading: 'lazy' })
      : el('span', { text: 'not kept' })))));
  $('shadow-disagreements').hidden = !running || s.disagreements.length === 0;
  if (!$('start-shadow')) return;
  const select = $('shadow-version');
  const chosen = running ? String(running.candidateVersion) : select.value;
  select.replaceChildren(...p.versions.filter((v) => !v.active).slice().reverse()
    .map((v) => el('option', { value: String(v.version), text: 'version ' + v.version })));
  if (chosen && [...select.options].some((o) => o.value === chosen)) select.value = chosen;
  // a shadow changes no version: it runs where the store is locked
  $('start-shadow').disabled = select.options.length === 0;
  $('stop-shadow').disabled = !running;
  $('promote-shadow').disabled = !state.writable || !running;
  $('promote-shadow').dataset.version = running ? String(running.candidateVersion) : '';
}

// a running shadow's counts move with the line: read again while the product view is open
setInterval(() => {
  if (!$('view-product').hidden && $('shadow-summary').dataset.judged) loadShadow();
}, 3000);

if ($('start-shadow')) {
  $('start-shadow').addEventListener('click', async () => {
    const p = product();
    const version = Number($('shadow-version').value);
    const share = Number($('shadow-share').value) / 100;
    try {
      await api('POST', '/api/products/' + encodeURIComponent(p.product) + '/shadow', { version, share });
      say('version ' + version + ' shadows ' + p.product + ' on ' + Math.round(share * 100) + '% of the frames');
    } catch (e) {
      say(e.message, true);
    }
    loadShadow();
  });
  $('stop-shadow').addEventListener('click', async () => {
    try {
      await api('DELETE', '/api/products/' + encodeURIComponent(product().product) + '/shadow');
      say('shadow stopped');
    } catch (e) {
      say(e.message, true);
    }
    loadShadow();
  });
  $('promote-shadow').addEventListener('click', () => askToPromote(product(),
    Number($('promote-shadow').dataset.version), ' (its shadow ends)'));
}

// ---- don't-care region: the served one greyed over a frame of the product, its polygons (where it was written down
// as polygons) to edit, new ones drawn by clicking their corners

const region = {
  product: null,      // whose frame this is
  version: null,      // the version whose polygons the drawing started from
  backdrop: null,     // the frame drawn over, an <img> at the camera's resolution
  fromFile: false,    // whether the engineer chose it from their computer rather than the kept images
  backdropName: '',   // which frame it is
  served: null,       // the active version's region as drawn (white: does not count), or null
  // closed polygons and the one being drawn, as shares of the frame's width and height: they stay in place whichever
  // frame of the product's aspect ratio they are shown on
  shapes: [],
  corners: [],
};
const CLOSE_WITHIN_PX = 10;

function loadImage(src) {
  return new Promise((resolve, reject) => {
    const image = new Image();
    image.onload = () => resolve(image);
    image.onerror = () => reject(new Error('the image could not be shown'));
    image.src = src;
  });
}

async function renderRegion() {
  const p = product();
  const active = activeVersion();
  if (!p || !active) return;
  if (region.product !== p.product) {
    Object.assign(region, { product: p.product, version: null, backdrop: null, fromFile: false });
  }
  const served = active.dontCare;
  if (region.version !== active.version) {
    region.version = active.version;
    region.corners = [];
    region.shapes = served && served.polygons ? served.polygons.map((shape) => shape.map(([x, y]) =>
      [x / served.width, y / served.height])) : [];
  }
  $('region-summary').textContent = 'Version ' + active.version + (served
    ? ' leaves ' + shareLeftOut(served) + ' of the frame out of the score (greyed below)'
      + (served.polygons ? ', written down as the ' + (served.polygons.length > 1 ? served.polygons.length
        + ' shapes' : 'shape') + ' in blue.'
        : ', drawn as a PNG: a new drawing replaces it.')
    : ' counts every pixel: it has no don\'t-care region.')
    + (isEngineer() ? ' A new region is a new version of the same student at the same threshold, checked and '
      + 'quantized again on the ' + p.uploadedNormals + ' uploaded normals (at least 8); roll back to undo it.' : '');
  $('region-summary').dataset.version = String(active.version);
  const select = $('region-backdrop');
  const chosen = select.value;
  select.replaceChildren(...state.results.filter((r) => r.imageKept).slice(0, 20).map((r) =>
    el('option', { value: String(r.resultId), text: 'part ' + (r.partId || r.resultId) + ' (' + r.evaluation + ')' })));
  if (chosen && [...select.options].some((o) => o.value === chosen)) select.value = chosen;
  region.served = served ? await loadImage('/api/products/' + encodeURIComponent(p.product)
    + '/dont-care?version=' + active.version).catch(() => null) : null;
  if (select.value && !region.fromFile) {
    region.backdrop = await loadImage('/api/results/' + select.value + '/image').catch(() => null);
    region.backdropName = 'result ' + select.value;
  }
  if (!region.backdrop) {
    $('region-summary').textContent += ' No kept image of ' + p.product + ' to show it on: choose a frame from this '
      + 'computer.';
  }
  drawRegion();
}

function drawRegion() {
  const canvas = $('region-canvas');
  const image = region.backdrop;
  canvas.hidden = !image;
  renderShapeList();
  if (!image) return;
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  const g = canvas.getContext('2d');
  g.drawImage(image, 0, 0);
  if (region.served) {
    // white lightens (does not count), black leaves the frame as it is
    g.save();
    g.globalAlpha = 0.6;
    g.globalCompositeOperation = 'screen';
    g.drawImage(region.served, 0, 0, canvas.width, canvas.height);
    g.restore();
  }
  const scale = canvas.width / Math.max(1, canvas.clientWidth);
  const at = ([x, y]) => [x * canvas.width, y * canvas.height];
  const trace = (points) => points.map(at).forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
  g.lineWidth = 2 * scale;
  g.strokeStyle = '#0b57d0';
  g.fillStyle = 'rgba(11, 87, 208, 0.35)';
  region.shapes.forEach((shape) => {
    g.beginPath();
    trace(shape);
    g.closePath();
    g.fill();
    g.stroke();
  });
  if (region.corners.length) {
    g.beginPath();
    trace(region.corners);
    g.stroke();
    region.corners.map(at).forEach(([x, y]) => g.fillRect(x - 3 * scale, y - 3 * scale, 6 * scale, 6 * scale));
  }
  canvas.dataset.shapes = String(region.shapes.length);
  canvas.dataset.corners = String(region.corners.length);
  canvas.dataset.backdrop = region.backdropName + ', ' + image.naturalWidth + 'x' + image.naturalHeight;
}

function renderShapeList() {
  $('region-shapes').replaceChildren(...region.shapes.map((shape, i) => {
    const item = el('li', { text: 'Shape ' + (i + 1) + ', ' + shape.length + ' corners ' });
    if (isEngineer()) {
      const remove = el('button', { type: 'button', class: 'remove-shape', text: 'Remove shape ' + (i + 1) });
      remove.addEventListener('click', () => { region.shapes.splice(i, 1); drawRegion(); });
      item.append(remove);
    }
    return item;
  }));
}

$('region-backdrop').addEventListener('change', () => { region.fromFile = false; renderRegion(); });
$('region-file').addEventListener('change', () => {
  const file = $('region-file').files[0];
  if (!file) return;
  // as a data: URL, which the page's content policy allows for images (a blob: URL it does not)
  const reader = new FileReader();
  reader.onload = async () => {
    region.backdrop = await loadImage(reader.result).catch((e) => {
      say(file.name + ': ' + e.message, true);
      return null;
    });
    region.fromFile = region.backdrop !== null;
    region.backdropName = file.name;
    drawRegion();
  };
  reader.readAsDataURL(file);
});

$('region-canvas').addEventListener('click', (event) => {
  if (!isEngineer()) return;
  const canvas = $('region-canvas');
  const scale = canvas.width / canvas.clientWidth;
  // corners on whole pixels, where the node's polygons put them; near an edge, on it (a border region is common)
  const snap = (at, size) => (at <= CLOSE_WITHIN_PX ? 0 : at >= size / scale - CLOSE_WITHIN_PX ? size
    : Math.round(at * scale));
  const corner = [snap(event.offsetX, canvas.width) / canvas.width, snap(event.offsetY, canvas.height) / canvas.height];
  const first = region.corners[0];
  if (first && region.corners.length >= 3 && Math.hypot((corner[0] - first[0]) * canvas.width,
    (corner[1] - first[1]) * canvas.height) <= CLOSE_WITHIN_PX * scale) {
    region.shapes.push(region.corners);
    region.corners = [];
  } else {
    region.corners.push(corner);
  }
  drawRegion();
});

if ($('apply-region')) {
  $('region-undo').addEventListener('click', () => {
    if (region.corners.length) region.corners.pop();
    else if (region.shapes.length) region.corners = region.shapes.pop();
    drawRegion();
  });
  $('region-clear').addEventListener('click', () => { region.shapes = []; region.corners = []; drawRegion(); });
  $('apply-region').addEventListener('click', () => {
    const p = product();
    if (region.corners.length) {
      say('Close the shape you are drawing first: click its first corner again (a shape needs 3 corners or more)',
        true);
      return;
    }
    if (!region.shapes.length || !region.backdrop) {
      say('Draw the region first: click its corners on the frame (or let every pixel count)', true);
      return;
    }
    const width = region.backdrop.naturalWidth;
    const height = region.backdrop.naturalHeight;
    // whole pixels where they were clicked, the served polygons' own coordinates where they were kept
    const pixel = (share, size) => Math.round(share * size * 1000) / 1000;
    const polygons = { width, height,
      polygons: region.shapes.map((shape) => shape.map(([x, y]) => [pixel(x, width), pixel(y, height)])) };
    ask('Leave the ' + region.shapes.length + ' shape' + (region.shapes.length > 1 ? 's' : '') + ' in blue out of '
      + p.product + '\'s score from now on? This replaces the served region at the same threshold; the '
      + p.uploadedNormals + ' uploaded normals are scored for its checks, which may take a minute.',
    () => changeRegion(p, { polygons }));
  });
  $('remove-region').addEventListener('click', () => {
    const p = product();
    ask('Let every pixel of ' + p.product + '\'s frames count from now on, at the same threshold? Parts may score '
      + 'higher where the region was.', () => changeRegion(p, { everywhere: true }));
  });
}

async function changeRegion(p, body) {
  say('Setting the region: scoring and quantizing on the ' + p.uploadedNormals + ' uploaded normals…');
  try {
    const changed = await api('POST', '/api/products/' + encodeURIComponent(p.product) + '/dont-care', body);
    const served = changed.versions.find((v) => v.active);
    say('version ' + served.version + ' serves ' + (served.dontCare ? 'a don\'t-care region of '
      + shareLeftOut(served.dontCare) + ' of the frame' : 'every pixel') + ', threshold '
      + fixed(served.threshold));
    await loadProducts();
    await loadResults();
  } catch (e) {
    say(e.message, true);
  }
}

// ---- review queue

async function loadReviewQueue() {
  let queue;
  try {
    queue = await api('GET', '/api/review');
  } catch (e) {
    say(e.message, true);
    return;
  }
  $('review-count').textContent = queue.length ? '(' + queue.length + ')' : '';
  $('review-queue').replaceChildren(...queue.map((part) => {
    const buttons = [];
    if (isEngineer()) {
      buttons.push(reviewButton(part, 'OK', false, 'OK'),
        reviewButton(part, 'OK', true, 'OK, keep as normal'), reviewButton(part, 'NOT_OK', false, 'NOT OK'));
      if (!part.imageKept || !state.writable) buttons[1].disabled = true;
    }
    return partCard(part, el('div', { class: 'toolbar' }, ...buttons));
  }));
}

function reviewButton(part, evaluation, asNormal, text) {
  const button = el('button', { type: 'button', class: 'review-' + evaluation + (asNormal ? ' as-normal' : ''),
    text, 'aria-label': text + ': part ' + part.partId });
  button.addEventListener('click', async () => {
    try {
      await api('POST', '/api/results/' + part.resultId + '/review', { evaluation, asNormal });
      say('part ' + part.partId + ' marked ' + evaluation + (asNormal ? ' and kept as a normal' : ''));
      loadReviewQueue();
    } catch (e) {
      say(e.message, true);
    }
  });
  return button;
}

// ---- changes

async function loadChanges() {
  try {
    const changes = await api('GET', '/api/changes?limit=200');
    $('changes').querySelector('tbody').replaceChildren(...changes.map((c) => el('tr', {},
      el('td', { text: new Date(c.at).toLocaleString() }), el('td', { text: c.who }), el('td', { text: c.door }),
      el('td', { text: c.action }), el('td', { text: c.product }), el('td', { text: c.subject }),
      el('td', { text: c.before }), el('td', { text: c.after }))));
  } catch (e) {
    say(e.message, true);
  }
}

start();

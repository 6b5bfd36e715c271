// StreamDiffusion.Net web client. Plain JavaScript, no build step: served as is by the host.
//
// WebSocket protocol of /ws/stream (same fields and defaults as the gRPC Stream call):
//   client → server
//     1. one JSON text message: the SessionConfig, proto field names in snake_case, e.g.
//        {"type":"config","prompt":"...","width":0,"height":0,"t_index_list":[32,45],"guidance_scale":1.2,
//         "cfg_type":"self","output_encoding":"jpeg","quality":85,"similarity_filter":{"enabled":false}}
//        ("type" is optional; enums may be short names; omitted fields take the proto defaults).
//     2. binary messages: one JPEG (or PNG) file each. The server numbers them 1, 2, 3, ... in arrival order.
//     3. JSON text messages: ControlUpdate, applied between frames, e.g. {"type":"control","prompt":"..."},
//        {"guidance_scale":2}, {"t_index_list":{"values":[20,40]}}.
//   server → client
//     {"type":"started","session_id":"...","model":"...","width":512,"height":512,"t_index_list":[...],
//      "cfg_type":"self","output_encoding":"jpeg","mjpeg_url":"/sessions/<id>/mjpeg"}
//     per input frame, in input order: {"type":"frame","sequence":n,"bytes":N,"format":"jpeg","width":..,
//      "height":..,"skipped":false,"dropped":false,"timings":{"queue_ms":..,"decode_ms":..,"denoise_ms":..,
//      "encode_ms":..,"total_ms":..},"error":{"code":"INVALID_ARGUMENT","message":".."}?}
//      and, when bytes > 0, one binary message with the image right after it.
//     {"type":"stats",...} about once a second; {"type":"error","code":"...","message":"..."} before the
//      server closes a failed session (1008 bad config/input, 1013 host full, 1001 shutting down).
//
// Strength → t_index_list (indices into the 50-step schedule; index i is timestep 999 - 20 i; a smaller index
// means more noise, so a stronger change of the input):
//   first  = round((1 - strength) * 49), clamped to 0..49 (0..48 with two steps)
//   second = round(first + 0.75 * (49 - first)), at least first + 1, at most 49   (only with "two steps")
//   The default strength 0.35 gives [32, 45], the host's default list.

(() => {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const ui = {
    status: $('status'), camera: $('camera'), output: $('output'), start: $('start'), stop: $('stop'),
    prompt: $('prompt'), negative: $('negative'), guidance: $('guidance'), guidanceValue: $('guidanceValue'),
    strength: $('strength'), strengthValue: $('strengthValue'), tIndexText: $('tIndexText'), twoSteps: $('twoSteps'),
    model: $('model'), size: $('size'), fps: $('fps'), fpsValue: $('fpsValue'), seed: $('seed'), cfg: $('cfg'),
    filter: $('filter'), sessionId: $('sessionId'), mjpegLink: $('mjpegLink'), fpsOut: $('fpsOut'),
    latency: $('latency'), frames: $('frames'), message: $('message'), apiKey: $('apiKey'),
  };

  // API key for a host with authentication on: kept in localStorage, sent as x-api-key on fetches and, since
  // browsers cannot set headers on a WebSocket, as a Sec-WebSocket-Protocol entry "access_token.KEY" beside
  // "streamdiffusion.v1" (which the host selects), so the key stays out of the URL.
  const KEY_STORAGE = 'sdnet.apiKey';
  ui.apiKey.value = localStorage.getItem(KEY_STORAGE) || '';
  ui.apiKey.addEventListener('change', () => {
    const key = ui.apiKey.value.trim();
    if (key) localStorage.setItem(KEY_STORAGE, key); else localStorage.removeItem(KEY_STORAGE);
    showModelNotice();
  });
  const apiKey = () => ui.apiKey.value.trim();
  const authHeaders = () => (apiKey() ? { 'x-api-key': apiKey() } : {});

  // At most this many frames on their way (sent, not answered): keeps latency low when the host is slower than
  // the camera. The host drops the oldest queued frame anyway; this just avoids sending what would be dropped.
  const MAX_IN_FLIGHT = 2;
  const JPEG_QUALITY = 0.85;

  /** Strength 0..1 → t_index_list, as documented above. */
  function tIndexList(strength, twoSteps) {
    const last = 49;
    let first = Math.round((1 - strength) * last);
    first = Math.min(Math.max(first, 0), twoSteps ? last - 1 : last);
    if (!twoSteps) return [first];
    const second = Math.min(last, Math.max(first + 1, Math.round(first + 0.75 * (last - first))));
    return [first, second];
  }

  // Exposed for tests and curious users (window.sdnet.state etc.).
  const state = {
    phase: 'idle', sessionId: null, width: 0, height: 0, sent: 0, received: 0, images: 0, dropped: 0,
    skipped: 0, failed: 0, lastError: null, closeCode: null, closeReason: null,
  };
  window.sdnet = { state, tIndexList };

  let ws = null;
  let stream = null;
  let timer = null;
  let encoding = false;
  let inFlight = 0;
  let pendingMeta = null;
  const sentAt = new Map();
  const latencies = [];
  const arrivals = [];
  let serverTotals = [];
  const capture = document.createElement('canvas');
  const captureCtx = capture.getContext('2d');
  const outCtx = ui.output.getContext('2d');

  function setStatus(text, kind) {
    ui.status.textContent = text;
    ui.status.className = 'status ' + kind;
  }

  function showMessage(text) { ui.message.textContent = text || ''; }

  function refreshLabels() {
    ui.guidanceValue.textContent = Number(ui.guidance.value).toFixed(2);
    ui.strengthValue.textContent = Number(ui.strength.value).toFixed(2);
    const list = tIndexList(Number(ui.strength.value), ui.twoSteps.checked);
    ui.tIndexText.textContent = 't_index [' + list.join(', ') + ']';
    ui.fpsValue.textContent = ui.fps.value;
  }

  function sendJson(message) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }

  function config() {
    const size = Number(ui.size.value);
    const seed = Number.parseInt(ui.seed.value, 10);
    const message = {
      type: 'config',
      width: size,
      height: size,
      prompt: ui.prompt.value,
      negative_prompt: ui.negative.value,
      t_index_list: tIndexList(Number(ui.strength.value), ui.twoSteps.checked),
      guidance_scale: Number(ui.guidance.value),
      cfg_type: ui.cfg.value,
      output_encoding: 'jpeg',
      quality: 85,
      similarity_filter: { enabled: ui.filter.checked },
    };
    if (ui.model.value.trim()) message.model = ui.model.value.trim();
    if (Number.isFinite(seed)) message.seed = seed;
    return message;
  }

  async function start() {
    showMessage('');
    ui.start.disabled = true;
    setStatus('starting camera', 'connecting');
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
    } catch (err) {
      fail('camera: ' + err.message);
      return;
    }
    ui.camera.srcObject = stream;

    const url = new URL('/ws/stream', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    ws = apiKey() ? new WebSocket(url, ['streamdiffusion.v1', 'access_token.' + apiKey()]) : new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    state.phase = 'connecting';
    setStatus('connecting', 'connecting');
    ws.onopen = () => ws.send(JSON.stringify(config()));
    ws.onmessage = onMessage;
    ws.onclose = onClose;
    ws.onerror = () => showMessage('WebSocket error');
    ui.stop.disabled = false;
  }

  function onMessage(event) {
    if (typeof event.data !== 'string') {
      onImage(event.data);
      return;
    }
    const msg = JSON.parse(event.data);
    switch (msg.type) {
      case 'started':
        state.phase = 'live';
        state.sessionId = msg.session_id;
        state.width = msg.width;
        state.height = msg.height;
        capture.width = msg.width;
        capture.height = msg.height;
        ui.output.width = msg.width;
        ui.output.height = msg.height;
        ui.sessionId.textContent = msg.session_id + ' · ' + msg.model + ' · ' + msg.width + '×' + msg.height;
        ui.mjpegLink.href = msg.mjpeg_url;
        ui.mjpegLink.textContent = new URL(msg.mjpeg_url, location.href).href;
        ui.mjpegLink.hidden = false;
        if (apiKey()) showSignedMjpegUrl(msg.session_id);
        setStatus('live', 'live');
        startSending();
        break;
      case 'frame':
        onFrameMeta(msg);
        break;
      case 'stats':
        break;
      case 'error':
        state.lastError = msg.code + ': ' + msg.message;
        showMessage(state.lastError);
        break;
      default:
        break;
    }
  }

  function onFrameMeta(msg) {
    state.received++;
    inFlight = Math.max(0, inFlight - 1);
    const sent = sentAt.get(msg.sequence);
    sentAt.delete(msg.sequence);
    if (msg.dropped) state.dropped++;
    if (msg.skipped) state.skipped++;
    if (msg.error) {
      state.failed++;
      showMessage('frame ' + msg.sequence + ': ' + msg.error.message);
    }
    if (msg.bytes > 0) {
      pendingMeta = { msg, sent };
    }
    updateStats();
  }

  async function onImage(buffer) {
    const meta = pendingMeta;
    pendingMeta = null;
    if (!meta) return;
    const now = performance.now();
    if (meta.sent !== undefined) push(latencies, now - meta.sent, 30);
    if (meta.msg.timings) serverTotals = push(serverTotals, meta.msg.timings.total_ms, 30);
    push(arrivals, now, 60);
    const type = meta.msg.format === 'png' ? 'image/png' : 'image/jpeg';
    try {
      const bitmap = await createImageBitmap(new Blob([buffer], { type }));
      outCtx.drawImage(bitmap, 0, 0, ui.output.width, ui.output.height);
      bitmap.close();
      state.images++;
    } catch (err) {
      showMessage('cannot show frame ' + meta.msg.sequence + ': ' + err.message);
    }
  }

  function push(list, value, max) {
    list.push(value);
    if (list.length > max) list.shift();
    return list;
  }

  const mean = (list) => list.reduce((a, b) => a + b, 0) / list.length;

  function updateStats() {
    const now = performance.now();
    const recent = arrivals.filter((t) => now - t < 3000);
    const fps = recent.length > 1 ? (recent.length - 1) * 1000 / (recent[recent.length - 1] - recent[0]) : 0;
    ui.fpsOut.textContent = fps ? fps.toFixed(1) : '–';
    ui.latency.textContent = latencies.length
      ? mean(latencies).toFixed(0) + ' ms (' + mean(serverTotals).toFixed(0) + ' ms)'
      : '–';
    ui.frames.textContent = 'sent ' + state.sent + ' · back ' + state.received + ' · dropped ' + state.dropped
      + ' · skipped ' + state.skipped + (state.failed ? ' · failed ' + state.failed : '');
  }

  function startSending() {
    stopSending();
    timer = setInterval(sendFrame, 1000 / Number(ui.fps.value));
  }

  function stopSending() {
    if (timer) clearInterval(timer);
    timer = null;
  }

  /** Draws the camera into the capture canvas, centre-cropped to the session's aspect ratio. */
  function drawCover(video, ctx, width, height) {
    const vw = video.videoWidth;
    const vh = video.videoHeight;
    const scale = Math.max(width / vw, height / vh);
    const sw = width / scale;
    const sh = height / scale;
    ctx.drawImage(video, (vw - sw) / 2, (vh - sh) / 2, sw, sh, 0, 0, width, height);
  }

  function sendFrame() {
    const video = ui.camera;
    if (!ws || ws.readyState !== WebSocket.OPEN || encoding || inFlight >= MAX_IN_FLIGHT) return;
    if (video.readyState < 2 || !video.videoWidth) return;
    if (ws.bufferedAmount > 4 * 1024 * 1024) return;
    drawCover(video, captureCtx, capture.width, capture.height);
    encoding = true;
    capture.toBlob(async (blob) => {
      try {
        if (!blob || !ws || ws.readyState !== WebSocket.OPEN) return;
        const data = await blob.arrayBuffer();
        state.sent++;
        inFlight++;
        sentAt.set(state.sent, performance.now());
        ws.send(data);
      } finally {
        encoding = false;
      }
    }, 'image/jpeg', JPEG_QUALITY);
  }

  function onClose(event) {
    stopSending();
    state.phase = 'closed';
    state.closeCode = event.code;
    state.closeReason = event.reason;
    const clean = event.code === 1000;
    setStatus(clean ? 'stopped' : 'closed ' + event.code, clean ? 'idle' : 'error');
    if (!clean && event.reason) showMessage(event.reason);
    // A refused handshake (e.g. 401 for a missing or wrong key) reaches the page only as 1006 before 'started'.
    else if (event.code === 1006 && !state.sessionId) showMessage('the host refused the connection: if it requires an API key, check the key field');
    cleanup();
  }

  function fail(text) {
    state.phase = 'error';
    state.lastError = text;
    setStatus('error', 'error');
    showMessage(text);
    cleanup();
  }

  function cleanup() {
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    ws = null;
    inFlight = 0;
    pendingMeta = null;
    sentAt.clear();
    ui.start.disabled = false;
    ui.stop.disabled = true;
  }

  function stop() {
    stopSending();
    if (ws) ws.close(1000, 'stopped by the user');
  }

  // Live controls: applied between frames, without restarting the session.
  let promptTimer = null;
  ui.prompt.addEventListener('input', () => {
    clearTimeout(promptTimer);
    promptTimer = setTimeout(() => sendJson({ type: 'control', prompt: ui.prompt.value }), 300);
  });
  ui.prompt.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      clearTimeout(promptTimer);
      sendJson({ type: 'control', prompt: ui.prompt.value });
    }
  });
  ui.negative.addEventListener('change', () => sendJson({ type: 'control', negative_prompt: ui.negative.value }));
  ui.guidance.addEventListener('input', refreshLabels);
  ui.guidance.addEventListener('change', () => sendJson({ type: 'control', guidance_scale: Number(ui.guidance.value) }));
  const sendStrength = () => sendJson({
    type: 'control', t_index_list: { values: tIndexList(Number(ui.strength.value), ui.twoSteps.checked) },
  });
  ui.strength.addEventListener('input', refreshLabels);
  ui.strength.addEventListener('change', sendStrength);
  ui.twoSteps.addEventListener('change', () => { refreshLabels(); sendStrength(); });
  ui.seed.addEventListener('change', () => {
    const seed = Number.parseInt(ui.seed.value, 10);
    if (Number.isFinite(seed)) sendJson({ type: 'control', seed });
  });
  ui.filter.addEventListener('change', () => sendJson({ type: 'control', similarity_filter: { enabled: ui.filter.checked } }));
  ui.fps.addEventListener('input', () => { refreshLabels(); if (timer) startSending(); });
  ui.start.addEventListener('click', start);
  ui.stop.addEventListener('click', stop);
  setInterval(updateStats, 1000);
  refreshLabels();
  showModelNotice();

  /** With auth on, the MJPEG link needs a signature (OBS cannot send a key): /sessions lists a signed URL. */
  async function showSignedMjpegUrl(sessionId) {
    try {
      const response = await fetch('sessions', { cache: 'no-store', headers: authHeaders() });
      if (!response.ok) return;
      const { sessions = [] } = await response.json();
      const session = sessions.find((s) => s.id === sessionId);
      if (session) {
        ui.mjpegLink.href = session.mjpeg_url;
        ui.mjpegLink.textContent = new URL(session.mjpeg_url, location.href).href;
      }
    } catch {
      // The unsigned link stays; it works on a host without keys.
    }
  }

  /** Says plainly when the default model is the built-in synthetic test pack, and how to load a real one. */
  async function showModelNotice() {
    try {
      const response = await fetch('models', { cache: 'no-store', headers: authHeaders() });
      if (!response.ok) return;
      const { models = [] } = await response.json();
      const chosen = models.find((m) => m.name === ui.model.value.trim()) || models.find((m) => m.isDefault);
      if (chosen && chosen.synthetic) {
        const notice = $('modelNotice');
        notice.textContent = `Model "${chosen.name}": ${chosen.note}`;
        notice.hidden = false;
      }
    } catch {
      // The notice is a courtesy; the page works without it.
    }
  }
})();

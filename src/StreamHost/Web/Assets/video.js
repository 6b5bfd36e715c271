// StreamDiffusion.Net web client, text-to-video mode. Plain JavaScript, no build step: served as is by the host.
// Independent of app.js (the webcam session): its own socket, state (window.sdnetVideo) and elements (#video*).
//
// WebSocket protocol of /ws/video (GenerateVideo + ControlVideo for the browser; same fields, defaults and
// validation as the gRPC calls; see docs/api.md):
//   client → server
//     1. one JSON text message: the GenerateVideoRequest, proto field names in snake_case, e.g.
//        {"type":"request","prompts":[{"start_frame":0,"text":"a red fox"}],"width":0,"height":0,
//         "num_partitions":4,"coherent_tail":true,"lookahead":false,"subject_guidance":false,"sampler":"ddim"}
//        ("type" is optional; enums may be short names; omitted fields take the proto defaults; num_frames 0 or
//        absent: until the socket is closed).
//     2. JSON text messages: live prompt changes {"type":"control","prompt":"..."} (a VideoControlRequest; the
//        session_id may be left out). Answered by {"type":"control","applies_from_frame":N,"arrival_frames":L}
//        or {"type":"control_error","code":"INVALID_ARGUMENT","message":"prompt: ..."}; the video goes on.
//     3. closing the socket stops the video; the host frees the session's slot within one iteration.
//   server → client
//     per frame, in order: {"type":"frame","index":n,"session_id":"...","mjpeg_url":"/sessions/<id>/mjpeg",
//      "prompt":"...","format":"jpeg","width":..,"height":..,"bytes":N,"timings":{...}} and then one binary
//      message with the image.
//     {"type":"end","frames":N} when num_frames is reached, then a 1000 close.
//     {"type":"error","code":"...","message":"..."} before the server closes a refused or failed video
//      (1008 bad request, 1013 host full, 1001 shutting down, 1011 internal).

(() => {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const ui = {
    status: $('videoStatus'), output: $('videoOutput'), prompt: $('videoPrompt'), start: $('videoStart'),
    apply: $('videoApply'), stop: $('videoStop'), size: $('videoSize'), partitions: $('videoPartitions'),
    sampler: $('videoSampler'), tail: $('videoTail'), lookahead: $('videoLookahead'), guidance: $('videoGuidance'),
    sessionId: $('videoSessionId'), mjpegLink: $('videoMjpegLink'), frames: $('videoFrames'), fps: $('videoFps'),
    headPrompt: $('videoHeadPrompt'), message: $('videoMessage'),
  };
  if (!ui.start) return;

  // Exposed for tests and curious users.
  const state = {
    phase: 'idle', sessionId: null, frames: 0, images: 0, headPrompt: null, headPromptSince: null, lastControl: null, lastError: null,
    closeCode: null, closeReason: null,
  };
  window.sdnetVideo = { state, videoRequest };

  let socket = null;
  let pendingFrame = null;
  const arrivals = [];
  const outCtx = ui.output.getContext('2d');

  function setVideoStatus(text, kind) {
    ui.status.textContent = text;
    ui.status.className = 'status ' + kind;
  }

  function showVideoMessage(text, info) {
    ui.message.textContent = text || '';
    ui.message.className = 'message' + (info ? ' info' : '');
  }

  /** The GenerateVideoRequest the form describes. */
  function videoRequest() {
    const size = Number(ui.size.value);
    const partitions = Number.parseInt(ui.partitions.value, 10);
    return {
      type: 'request',
      prompts: [{ start_frame: 0, text: ui.prompt.value }],
      width: size,
      height: size,
      ...(Number.isFinite(partitions) && partitions > 0 ? { num_partitions: partitions } : {}),
      coherent_tail: ui.tail.checked,
      lookahead: ui.lookahead.checked,
      subject_guidance: ui.guidance.checked,
      sampler: ui.sampler.value,
      output_encoding: 'jpeg',
      quality: 85,
    };
  }

  function startVideo() {
    showVideoMessage('');
    Object.assign(state, { phase: 'connecting', sessionId: null, frames: 0, images: 0, headPrompt: null, headPromptSince: null, lastControl: null, lastError: null, closeCode: null, closeReason: null });
    arrivals.length = 0;
    const url = new URL('/ws/video', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    // With auth on, the key from the page's API key field (app.js keeps it in localStorage) goes as a subprotocol,
    // since a browser cannot set headers on a WebSocket; the host selects streamdiffusion.v1.
    const key = (localStorage.getItem('sdnet.apiKey') || '').trim();
    socket = key ? new WebSocket(url, ['streamdiffusion.v1', 'access_token.' + key]) : new WebSocket(url);
    socket.binaryType = 'arraybuffer';
    setVideoStatus('starting', 'connecting');
    socket.onopen = () => socket.send(JSON.stringify(videoRequest()));
    socket.onmessage = onVideoMessage;
    socket.onclose = onVideoClose;
    socket.onerror = () => showVideoMessage('WebSocket error');
    ui.start.disabled = true;
    ui.stop.disabled = false;
  }

  function onVideoMessage(event) {
    if (typeof event.data !== 'string') {
      drawVideoFrame(event.data);
      return;
    }
    const msg = JSON.parse(event.data);
    switch (msg.type) {
      case 'frame':
        onVideoFrameMeta(msg);
        break;
      case 'control':
        state.lastControl = msg;
        showVideoMessage('new prompt: from frame ' + msg.applies_from_frame + ', fully in after ' + msg.arrival_frames + ' frames', true);
        break;
      case 'control_error':
        state.lastError = msg.code + ': ' + msg.message;
        showVideoMessage('prompt not applied: ' + state.lastError);
        break;
      case 'end':
        showVideoMessage('done: ' + msg.frames + ' frames', true);
        break;
      case 'error':
        state.lastError = msg.code + ': ' + msg.message;
        showVideoMessage(state.lastError);
        break;
      default:
        break;
    }
  }

  function onVideoFrameMeta(msg) {
    if (state.phase !== 'live') {
      state.phase = 'live';
      state.sessionId = msg.session_id;
      ui.sessionId.textContent = msg.session_id + ' · ' + msg.width + '×' + msg.height;
      ui.mjpegLink.href = msg.mjpeg_url;
      ui.mjpegLink.textContent = new URL(msg.mjpeg_url, location.href).href;
      ui.mjpegLink.hidden = false;
      ui.output.width = msg.width;
      ui.output.height = msg.height;
      ui.apply.disabled = false;
      setVideoStatus('live', 'live');
    }
    state.frames = msg.index + 1;
    if (msg.prompt !== state.headPrompt) state.headPromptSince = msg.index;
    state.headPrompt = msg.prompt;
    pendingFrame = msg;
    arrivals.push(performance.now());
    if (arrivals.length > 30) arrivals.shift();
    ui.frames.textContent = String(state.frames);
    ui.headPrompt.textContent = msg.prompt;
    const span = arrivals.length > 1 ? arrivals[arrivals.length - 1] - arrivals[0] : 0;
    ui.fps.textContent = span > 0 ? ((arrivals.length - 1) * 1000 / span).toFixed(1) : '–';
  }

  async function drawVideoFrame(buffer) {
    const meta = pendingFrame;
    pendingFrame = null;
    if (!meta) return;
    try {
      const bitmap = await createImageBitmap(new Blob([buffer], { type: meta.format === 'png' ? 'image/png' : 'image/jpeg' }));
      outCtx.drawImage(bitmap, 0, 0, ui.output.width, ui.output.height);
      bitmap.close();
      state.images++;
    } catch (err) {
      showVideoMessage('cannot show frame ' + meta.index + ': ' + err.message);
    }
  }

  /** Sends the prompt box as a live change (frames already queued blend over to it: no cut). */
  function changeVideoPrompt() {
    if (!socket || socket.readyState !== WebSocket.OPEN || !state.sessionId) return;
    socket.send(JSON.stringify({ type: 'control', prompt: ui.prompt.value }));
  }

  function stopVideo() {
    if (socket) socket.close(1000, 'stopped by the user');
  }

  function onVideoClose(event) {
    state.phase = 'closed';
    state.closeCode = event.code;
    state.closeReason = event.reason;
    const clean = event.code === 1000;
    setVideoStatus(clean ? 'stopped' : 'closed ' + event.code, clean ? 'idle' : 'error');
    if (!clean && event.reason && !state.lastError) showVideoMessage(event.reason);
    socket = null;
    pendingFrame = null;
    ui.start.disabled = false;
    ui.stop.disabled = true;
    ui.apply.disabled = true;
  }

  ui.start.addEventListener('click', startVideo);
  ui.stop.addEventListener('click', stopVideo);
  ui.apply.addEventListener('click', changeVideoPrompt);
  ui.prompt.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      changeVideoPrompt();
    }
  });
})();

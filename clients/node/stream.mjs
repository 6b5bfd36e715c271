#!/usr/bin/env node
// Example StreamDiffusion client, written against the .proto files alone (no generated code):
// opens a Stream call, sends a SessionConfig, streams image files as frames, changes the prompt
// halfway with a ControlUpdate, writes the returned JPEG frames to a folder and prints latencies.
//
//   node stream.mjs [options] IMAGE_OR_FOLDER...
//
// The functions below are exported so test.mjs runs the same code against a live host.

import { readdir, readFile, mkdir, writeFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Folder holding streamdiffusion/v1/*.proto (src/Protos in the repo). */
export const PROTO_ROOT = path.resolve(here, '../../src/Protos');

/** Status code number -> name (14 -> 'UNAVAILABLE'), for readable messages. */
export const STATUS_NAMES = Object.fromEntries(Object.entries(grpc.status).map(([name, code]) => [code, name]));

/**
 * Loads the service definition from the .proto files.
 * Field names stay as written in the .proto (snake_case) so they match the documentation;
 * 64-bit integers become JS numbers (sequence numbers and microsecond timestamps fit in 2^53);
 * enums are their names; `oneofs` adds a `payload` field naming which member is set.
 */
export function loadApi(protoRoot = PROTO_ROOT) {
  const definition = protoLoader.loadSync('streamdiffusion/v1/streamdiffusion.proto', {
    includeDirs: [protoRoot],
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  return grpc.loadPackageDefinition(definition).streamdiffusion.v1;
}

/**
 * Creates a client for `address` ("host:port", plaintext h2c as the host serves by default). With `apiKey`, every
 * call carries it as `x-api-key` metadata (a host with keys configured answers UNAUTHENTICATED without one).
 */
export function connect(address, api = loadApi(), apiKey = '') {
  // Frames can be a few MB; the host's own limit is Capabilities.max_message_bytes.
  const options = {
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.max_send_message_length': 64 * 1024 * 1024,
  };
  if (apiKey) {
    // An interceptor rather than call credentials: grpc-js sends call credentials only over TLS.
    options.interceptors = [(callOptions, nextCall) => new grpc.InterceptingCall(nextCall(callOptions), {
      start(metadata, listener, next) {
        metadata.set('x-api-key', apiKey);
        next(metadata, listener);
      },
    })];
  }
  return new api.StreamDiffusion(address, grpc.credentials.createInsecure(), options);
}

/** Calls a unary method and returns a promise of its response (rejects with the gRPC error). */
export function unary(client, method, request = {}, deadlineMs = 10_000) {
  return new Promise((resolve, reject) => {
    client[method](request, { deadline: Date.now() + deadlineMs }, (err, response) => (err ? reject(err) : resolve(response)));
  });
}

/** Wall-clock microseconds, sent as client_timestamp_us and compared when it comes back. */
export function nowUs() {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/** Frame format of encoded image bytes from their magic number, or null when neither JPEG nor PNG. */
export function detectFormat(bytes) {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'FRAME_FORMAT_JPEG';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    return 'FRAME_FORMAT_PNG';
  }
  return null;
}

/**
 * Reads the size of a JPEG from its start-of-frame header, or returns null when `bytes` is not a
 * complete JPEG (FF D8 ... FF D9) with a baseline (SOF0), extended (SOF1) or progressive (SOF2) frame.
 */
export function jpegInfo(bytes) {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  if (bytes[bytes.length - 2] !== 0xff || bytes[bytes.length - 1] !== 0xd9) return null;
  let i = 2;
  while (i + 4 <= bytes.length) {
    if (bytes[i] !== 0xff) return null;
    const marker = bytes[i + 1];
    if (marker === 0xff) { i++; continue; } // fill byte
    // Markers without a length field: TEM and RST0..7.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { i += 2; continue; }
    const length = bytes.readUInt16BE(i + 2);
    if (marker === 0xc0 || marker === 0xc1 || marker === 0xc2) {
      if (i + 9 > bytes.length) return null;
      return {
        progressive: marker === 0xc2,
        height: bytes.readUInt16BE(i + 5),
        width: bytes.readUInt16BE(i + 7),
      };
    }
    if (marker === 0xda) return null; // scan data before any frame header
    i += 2 + length;
  }
  return null;
}

/**
 * Reads the frames to send: each path is an image file or a folder of .jpg/.jpeg/.png files (sorted by name).
 * Returns [{ name, data, format }].
 */
export async function readImages(paths) {
  const files = [];
  for (const p of paths) {
    if ((await stat(p)).isDirectory()) {
      const names = (await readdir(p)).filter((n) => /\.(jpe?g|png)$/i.test(n)).sort();
      files.push(...names.map((n) => path.join(p, n)));
    } else {
      files.push(p);
    }
  }
  const images = [];
  for (const file of files) {
    const data = await readFile(file);
    const format = detectFormat(data);
    if (!format) throw new Error(`${file}: not a JPEG or PNG file`);
    images.push({ name: path.basename(file), data, format });
  }
  return images;
}

/**
 * Runs one Stream session and resolves when the host ends the call with OK.
 *
 * options:
 *   images      [{ data, format }] sent in turn (cycled when `frames` is larger)
 *   frames      number of frames to send (default: images.length)
 *   prompt      initial prompt; secondPrompt: sent as a ControlUpdate before frame floor(frames / 2)
 *   width, height, model, seed, quality, tIndexList: SessionConfig fields
 *   inflight    frames sent but not yet answered (default 2). The host keeps a small queue and drops the
 *               oldest frames when a client runs ahead (a live camera wants that); keeping at most 2 in
 *               flight (one being processed, one queued) means no frame is dropped.
 *   onFrame     callback(result) per OutputFrame, for printing or saving as frames arrive
 *
 * Resolves with { started, frames: [result], stats: [SessionStats], order: ['started', 'frame', ...],
 * controlBeforeSequence }, where result = { sequence, sentUs, latencyMs, frame } and `frame` is the OutputFrame.
 * Rejects with the gRPC error (err.code, err.details) when the call fails.
 */
export async function runStream(client, options) {
  const images = options.images ?? [];
  const total = options.frames ?? images.length;
  if (total > 0 && images.length === 0) throw new Error('no images to send');
  const inflightLimit = Math.max(1, options.inflight ?? 2);
  const half = Math.floor(total / 2);

  const config = {
    model: options.model ?? '',
    mode: 'GENERATION_MODE_IMG2IMG',
    width: options.width ?? 256,
    height: options.height ?? 256,
    prompt: options.prompt ?? '',
    output_encoding: 'OUTPUT_ENCODING_JPEG',
    quality: options.quality ?? 0,
    t_index_list: options.tIndexList ?? [],
  };
  if (options.seed !== undefined) config.seed = options.seed;

  const call = client.Stream();
  const result = { started: null, frames: [], stats: [], order: [], controlBeforeSequence: null };
  const sentAt = new Map(); // sequence -> client timestamp (us)
  let sent = 0;
  let answered = 0;
  let ended = false;

  // Sends frames while fewer than `inflightLimit` are unanswered; half-closes after the last one.
  const pump = () => {
    while (sent < total && sent - answered < inflightLimit) {
      if (options.secondPrompt !== undefined && sent === half) {
        call.write({ control: { prompt: options.secondPrompt } });
        result.controlBeforeSequence = sent + 1;
      }
      const image = images[sent % images.length];
      const sequence = sent + 1;
      const ts = nowUs();
      sentAt.set(sequence, ts);
      call.write({ frame: { data: image.data, format: image.format, sequence, client_timestamp_us: ts } });
      sent++;
    }
    if (sent === total && !ended) {
      ended = true;
      call.end(); // half-close: the host answers what is left, sends final stats and ends with OK
    }
  };

  call.write({ config });
  // Async iteration yields responses in order and throws the call's error status, if any.
  for await (const response of call) {
    result.order.push(response.payload);
    switch (response.payload) {
      case 'started':
        result.started = response.started;
        pump();
        break;
      case 'frame': {
        const frame = response.frame;
        const arrivedUs = nowUs();
        const entry = {
          sequence: frame.sequence,
          sentUs: sentAt.get(frame.sequence),
          latencyMs: (arrivedUs - frame.client_timestamp_us) / 1000,
          frame,
        };
        result.frames.push(entry);
        answered++;
        options.onFrame?.(entry);
        pump();
        break;
      }
      case 'stats':
        result.stats.push(response.stats);
        break;
      default:
        break;
    }
  }
  return result;
}

/** Formats a gRPC error as "NAME (code): details". */
export function describeError(err) {
  if (typeof err?.code === 'number' && err.code in STATUS_NAMES) {
    return `${STATUS_NAMES[err.code]} (${err.code}): ${err.details ?? err.message}`;
  }
  return String(err?.stack ?? err);
}

const USAGE = `usage: node stream.mjs [options] IMAGE_OR_FOLDER...

Streams the images (JPEG/PNG files, or folders of them) to a StreamDiffusion host as video frames.

options:
  --host HOST:PORT    gRPC address (default: $STREAMDIFFUSION_GRPC or 127.0.0.1:50051)
  --key KEY           API key for a host with authentication on (default: $STREAMDIFFUSION_API_KEY)
  --prompt TEXT       initial prompt (default: "a watercolor painting")
  --prompt2 TEXT      prompt sent as a ControlUpdate halfway (default: "an oil painting, thick brush strokes")
  --frames N          frames to send, cycling through the images (default: number of images)
  --size N            output width and height, a multiple of 8 (default 256)
  --model NAME        model pack (default: the host's default model)
  --seed N            noise seed
  --inflight N        frames in flight (default 2; more lets the host drop frames)
  --out DIR           where the returned JPEGs go (default: out)
  -h, --help          this text`;

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      host: { type: 'string', default: process.env.STREAMDIFFUSION_GRPC || '127.0.0.1:50051' },
      key: { type: 'string', default: process.env.STREAMDIFFUSION_API_KEY || '' },
      prompt: { type: 'string', default: 'a watercolor painting' },
      prompt2: { type: 'string', default: 'an oil painting, thick brush strokes' },
      frames: { type: 'string' },
      size: { type: 'string', default: '256' },
      model: { type: 'string', default: '' },
      seed: { type: 'string' },
      inflight: { type: 'string', default: '2' },
      out: { type: 'string', default: 'out' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length === 0) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }

  const images = await readImages(positionals);
  const frames = values.frames ? Number.parseInt(values.frames, 10) : images.length;
  const size = Number.parseInt(values.size, 10);
  await mkdir(values.out, { recursive: true });

  const client = connect(values.host, loadApi(), values.key);
  try {
    const caps = await unary(client, 'GetCapabilities');
    console.log(`host ${values.host}: version ${caps.server_version}, processor ${caps.processor}, ` +
      `max ${caps.max_width}x${caps.max_height}, sessions ${caps.active_sessions}/${caps.max_sessions}`);

    const writes = [];
    const started = Date.now();
    const result = await runStream(client, {
      images,
      frames,
      prompt: values.prompt,
      secondPrompt: values.prompt2,
      width: size,
      height: size,
      model: values.model,
      seed: values.seed === undefined ? undefined : Number.parseInt(values.seed, 10),
      inflight: Number.parseInt(values.inflight, 10),
      onFrame: ({ sequence, latencyMs, frame }) => {
        let status = `${frame.width}x${frame.height} ${frame.data.length} bytes`;
        if (frame.error) status = `error ${STATUS_NAMES[frame.error.code] ?? frame.error.code}: ${frame.error.message}`;
        else if (frame.dropped) status = 'dropped';
        else if (frame.skipped) status += ' (skipped: previous output)';
        console.log(`frame seq=${sequence} latency=${latencyMs.toFixed(1)} ms ` +
          `server=${frame.timings.total_ms.toFixed(1)} ms (denoise ${frame.timings.denoise_ms.toFixed(1)}) ${status}`);
        if (frame.data.length > 0) {
          writes.push(writeFile(path.join(values.out, `frame-${String(sequence).padStart(6, '0')}.jpg`), frame.data));
        }
      },
    });
    await Promise.all(writes);

    const seconds = (Date.now() - started) / 1000;
    const count = (pred) => result.frames.filter(pred).length;
    const latencies = result.frames.filter((f) => f.frame.data.length > 0).map((f) => f.latencyMs);
    const mean = latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length : 0;
    const failed = count((f) => f.frame.error);
    console.log(`session ${result.started.session_id}: model ${result.started.model}, ` +
      `${result.started.width}x${result.started.height}, t_index [${result.started.t_index_list.join(', ')}]`);
    console.log(`prompt changed before seq=${result.controlBeforeSequence ?? '-'}`);
    console.log(`summary: sent ${frames}, received ${result.frames.length}, written ${writes.length} to ${values.out}, ` +
      `skipped ${count((f) => f.frame.skipped)}, dropped ${count((f) => f.frame.dropped)}, failed ${failed}; ` +
      `latency mean ${mean.toFixed(1)} ms, max ${Math.max(0, ...latencies).toFixed(1)} ms; ` +
      `${(result.frames.length / seconds).toFixed(2)} frames/s over ${seconds.toFixed(1)} s`);
    // Frame errors carry a gRPC status code too; treat them as a failed run.
    return failed > 0 ? 1 : 0;
  } finally {
    client.close();
  }
}

// Run main() only when executed directly, not when imported by test.mjs.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().then(
    (code) => { process.exitCode = code; },
    (err) => {
      console.error(`error: ${describeError(err)}`);
      process.exitCode = 1;
    },
  );
}

// CI check for the Node.js client against a running host:
//   STREAMDIFFUSION_GRPC=127.0.0.1:50051 node --test clients/node/test.mjs
// (scripts/node-client-check.sh starts a host and runs this.) Uses the CC0 photos in
// ../shared/data/images relative to the repo root.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import { connect, describeError, jpegInfo, readImages, runStream, unary } from './stream.mjs';

const address = process.env.STREAMDIFFUSION_GRPC;
const SIZE = 256;
const FRAMES = 12; // three passes over the four photos; a few seconds on the CPU host
const CALL_TIMEOUT_MS = 45_000;

/** The repo root: the first folder above this file that holds StreamDiffusion.Net.sln. */
function repoRoot() {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'StreamDiffusion.Net.sln'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('StreamDiffusion.Net.sln not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}

/** Writes `requests` on a fresh Stream call, half-closes, and returns the error the call ends with (or null). */
async function streamError(client, requests) {
  const call = client.Stream({ deadline: Date.now() + CALL_TIMEOUT_MS });
  for (const r of requests) call.write(r);
  call.end();
  try {
    for await (const _ of call) {
      // Responses before the error (e.g. SessionStarted) are not of interest here.
    }
    return null;
  } catch (err) {
    return err;
  }
}

if (!address) {
  // One clear failure instead of every test cancelled by a failing hook.
  test('STREAMDIFFUSION_GRPC names the host to test', () => {
    assert.fail('set STREAMDIFFUSION_GRPC to the host address, e.g. 127.0.0.1:50051');
  });
}

describe(`node client against ${address}`, { skip: !address }, () => {
  let client;
  let images;

  before(async () => {
    client = connect(address);
    images = await readImages([path.join(repoRoot(), '..', 'shared', 'data', 'images')]);
    assert.ok(images.length > 0, 'no photos in ../shared/data/images');
  });

  after(() => client?.close());

  test('GetCapabilities answers with usable limits', async () => {
    const caps = await unary(client, 'GetCapabilities');
    assert.ok(caps.max_width >= SIZE && caps.max_height >= SIZE, `max size ${caps.max_width}x${caps.max_height}`);
    assert.equal(caps.size_multiple, 8);
    assert.ok(caps.max_sessions >= 1);
    assert.ok(caps.output_encodings.includes('OUTPUT_ENCODING_JPEG'));
    assert.ok(caps.input_formats.includes('FRAME_FORMAT_JPEG') && caps.input_formats.includes('FRAME_FORMAT_PNG'));
    assert.ok(caps.processor.length > 0 && caps.server_version.length > 0);
  });

  test('ListModels answers with exactly one default model', async () => {
    const { models } = await unary(client, 'ListModels');
    assert.ok(models.length >= 1, 'no models');
    const defaults = models.filter((m) => m.is_default);
    assert.equal(defaults.length, 1, `default models: ${defaults.map((m) => m.name).join(', ')}`);
    assert.ok(defaults[0].name.length > 0);
  });

  test(`Stream: ${FRAMES} frames in, ${FRAMES} JPEG frames of ${SIZE}x${SIZE} out, prompt changed halfway`, { timeout: CALL_TIMEOUT_MS }, async () => {
    const result = await runStream(client, {
      images,
      frames: FRAMES,
      prompt: 'a watercolor painting of a city',
      secondPrompt: 'an oil painting, thick brush strokes',
      width: SIZE,
      height: SIZE,
      inflight: 2,
    });

    // SessionStarted first, with the values asked for.
    assert.equal(result.order[0], 'started', `first response: ${result.order[0]}`);
    assert.equal(result.order.filter((k) => k === 'started').length, 1);
    assert.equal(result.started.width, SIZE);
    assert.equal(result.started.height, SIZE);
    assert.equal(result.started.output_encoding, 'OUTPUT_ENCODING_JPEG');
    assert.ok(result.started.session_id.length > 0);

    // One OutputFrame per input frame, in order, echoing sequence and client timestamp.
    assert.deepEqual(result.frames.map((f) => f.sequence), Array.from({ length: FRAMES }, (_, i) => i + 1));
    for (const { sequence, sentUs, frame } of result.frames) {
      assert.equal(frame.client_timestamp_us, sentUs, `seq ${sequence}: client timestamp not echoed`);
      assert.equal(frame.error, null, `seq ${sequence}: ${frame.error?.message}`);
      // At most two frames in flight, so the host has no reason to drop any.
      assert.equal(frame.dropped, false, `seq ${sequence} dropped`);
      if (frame.skipped) continue;
      assert.equal(frame.format, 'FRAME_FORMAT_JPEG', `seq ${sequence} format`);
      const jpeg = jpegInfo(frame.data);
      assert.ok(jpeg, `seq ${sequence}: not a complete JPEG (${frame.data.length} bytes, starts ${frame.data.subarray(0, 4).toString('hex')})`);
      assert.deepEqual([jpeg.width, jpeg.height], [SIZE, SIZE], `seq ${sequence}: JPEG header size`);
      assert.deepEqual([frame.width, frame.height], [SIZE, SIZE], `seq ${sequence}: reported size`);
    }

    // The prompt change was accepted: it went out before frame FRAMES/2 + 1, the frames after it were
    // processed, and the call ended OK with final stats counting every frame.
    assert.equal(result.controlBeforeSequence, FRAMES / 2 + 1);
    const last = result.stats.at(-1);
    assert.ok(last?.final, 'no final SessionStats');
    assert.equal(result.order.at(-1), 'stats');
    assert.equal(last.frames_in, FRAMES);
    assert.equal(last.frames_out, FRAMES);
    assert.equal(last.frames_failed, 0);
    assert.equal(last.session_id, result.started.session_id);
  });

  test('a frame before the config is FAILED_PRECONDITION', { timeout: CALL_TIMEOUT_MS }, async () => {
    const err = await streamError(client, [{ frame: { data: images[0].data, format: images[0].format, sequence: 1 } }]);
    assert.ok(err, 'the call ended OK');
    assert.equal(err.code, grpc.status.FAILED_PRECONDITION, describeError(err));
  });

  test('an unknown model is NOT_FOUND', { timeout: CALL_TIMEOUT_MS }, async () => {
    const err = await streamError(client, [{ config: { model: 'no-such-model', width: SIZE, height: SIZE } }]);
    assert.ok(err, 'the call ended OK');
    assert.equal(err.code, grpc.status.NOT_FOUND, describeError(err));
    assert.match(err.details, /no-such-model/);
  });

  test('an out-of-range ControlUpdate is INVALID_ARGUMENT naming the field', { timeout: CALL_TIMEOUT_MS }, async () => {
    const err = await streamError(client, [
      { config: { width: SIZE, height: SIZE, prompt: 'a cat' } },
      { control: { guidance_scale: 50 } },
    ]);
    assert.ok(err, 'the call ended OK');
    assert.equal(err.code, grpc.status.INVALID_ARGUMENT, describeError(err));
    assert.match(err.details, /guidance_scale/);
  });
});

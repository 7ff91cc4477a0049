import { readFileSync } from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { EpochDetector, EpochEvent } from '../../../src/epochs/types.js';

export function fixture(name: string): Buffer {
  return readFileSync(path.resolve('test/fixtures/epochs', name));
}

/** mulberry32: a small seeded PRNG so "random" chunkings are reproducible. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Feeds bytes cut at the given sizes, decoding as a client must (StringDecoder keeps split UTF-8 whole). */
export function feedChunks(detector: EpochDetector, bytes: Buffer, sizes: () => number): EpochEvent[] {
  const decoder = new StringDecoder('utf8');
  const events: EpochEvent[] = [];
  for (let at = 0; at < bytes.length; ) {
    const size = Math.max(1, Math.floor(sizes()));
    events.push(...detector.feed(decoder.write(bytes.subarray(at, at + size))));
    at += size;
  }
  events.push(...detector.feed(decoder.end()));
  events.push(...detector.end());
  return events;
}

export function feedAll(detector: EpochDetector, bytes: Buffer | string): EpochEvent[] {
  return [...detector.feed(bytes.toString()), ...detector.end()];
}

/** Compact form for assertions: `start 3/50 keras`, `end 2/? huggingface`. */
export function brief(events: readonly EpochEvent[]): string[] {
  return events.map((e) => `${e.kind} ${e.printed ?? '?'}/${e.total ?? '?'} ${e.source}`);
}

/** The same events whole, one byte at a time, and in random chunks (several seeds). */
export function chunkings(bytes: Buffer, make: () => EpochDetector): EpochEvent[][] {
  const runs = [feedAll(make(), bytes), feedChunks(make(), bytes, () => 1)];
  for (const seed of [1, 2, 3, 42]) {
    const rnd = seeded(seed);
    runs.push(feedChunks(make(), bytes, () => 1 + rnd() * 97));
  }
  return runs;
}

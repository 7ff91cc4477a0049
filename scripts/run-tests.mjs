#!/usr/bin/env node
// Runs every compiled test file with node:test (Node 20's --test takes no globs, so we list them). Only compiled
// tests whose TypeScript source still exists run: a deleted test never runs from a stale copy in .test-build/.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = '.test-build/test';
const only = process.argv.slice(2);
function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.js') ? [p] : [];
  });
}
const source = (compiled) => compiled.replace(/^\.test-build\//, '').replace(/\.js$/, '.ts');
const compiled = existsSync(root) ? walk(root) : [];
const stale = compiled.filter((f) => !existsSync(source(f)));
if (stale.length > 0) console.error(`skipping ${stale.length} compiled test(s) without a source: ${stale.join(', ')}`);
const files = compiled
  .filter((f) => existsSync(source(f)))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
if (files.length === 0) {
  console.error('no test files found under ' + root);
  process.exit(1);
}
// Every daemon and app the tests start checks its responses against fastify's own serializer (src/api/app.ts).
const env = { ...process.env, PROFILER_CHECK_RESPONSES: '1' };
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit', env });
process.exit(r.status ?? 1);

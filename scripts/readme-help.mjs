#!/usr/bin/env node
// Rewrites README.md's "Every command's help" section from the commands themselves (`npm run readme-help` after
// `npm run build`); test/unit/cli/help.test.ts fails when the README and a command's --help differ.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const COMMANDS = ['run', 'daemon', 'runs', 'show', 'watch', 'compare', 'rm', 'import', 'export', 'evaluate', 'estimate', 'job'];
const START = '<!-- help:start -->';
const END = '<!-- help:end -->';
const blocks = COMMANDS.map((cmd) => {
  const text = execFileSync(process.execPath, [path.join(root, 'dist/cli/index.js'), cmd, '--help'], { encoding: 'utf8' }).trimEnd();
  return `<details><summary><code>profiler ${cmd} --help</code></summary>\n\n\`\`\`\n${text}\n\`\`\`\n</details>`;
});
const file = path.join(root, 'README.md');
const readme = readFileSync(file, 'utf8');
const a = readme.indexOf(START);
const b = readme.indexOf(END);
if (a < 0 || b < a) throw new Error(`README.md has no ${START} … ${END} section`);
writeFileSync(file, `${readme.slice(0, a + START.length)}\n${blocks.join('\n\n')}\n${readme.slice(b)}`);
console.log(`README.md: ${COMMANDS.length} commands' help written`);

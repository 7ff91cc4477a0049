import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sseBlocks } from '../../../src/cli/commands/watch.js';
import { redraw } from '../../../src/cli/commands/watch-view.js';

describe('profiler watch: the event-stream reader and the redraw', () => {
  it('reads SSE blocks split anywhere, with CRLF, comments, ids and multi-line data; skips what is not JSON', () => {
    const got: { event: string; id: string | null; data: unknown }[] = [];
    const feed = sseBlocks((e) => got.push(e));
    const text = 'retry: 3000\n\n: keepalive\n\nid: 7\r\nevent: sample\r\ndata: {"meanW":\r\ndata: 250}\r\n\r\nevent: x\ndata: not json\n\nevent: status\ndata: {"status":"succeeded"}\n\n';
    for (let i = 0; i < text.length; i += 3) feed(text.slice(i, i + 3));
    assert.deepEqual(got, [
      { event: 'sample', id: '7', data: { meanW: 250 } },
      { event: 'status', id: null, data: { status: 'succeeded' } },
    ]);
  });

  it('redraws in place: back up the previous block and clear, nothing to undo the first time', () => {
    assert.equal(redraw(0, ['a', 'b']), 'a\nb\n');
    assert.equal(redraw(2, ['c', 'd']), '\x1b[2F\x1b[Jc\nd\n');
  });
});

// Server-Sent Events as the daemon writes them, parsed from text chunks (the client, `profiler watch`).

export interface StreamEvent {
  event: string;
  id: string | null;
  data: unknown;
}

/** SSE blocks from text chunks: `event:`, `data:` and `id:` fields, one event per blank-line-terminated block. */
export function sseBlocks(onEvent: (e: StreamEvent) => void): (chunk: string) => void {
  let buf = '';
  return (chunk) => {
    buf += chunk.replace(/\r\n?/g, '\n');
    let cut: number;
    while ((cut = buf.indexOf('\n\n')) >= 0) {
      const lines = buf.slice(0, cut).split('\n');
      buf = buf.slice(cut + 2);
      let event = 'message';
      let id: string | null = null;
      const data: string[] = [];
      for (const line of lines) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'id') id = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length === 0) continue;
      try {
        onEvent({ event, id, data: JSON.parse(data.join('\n')) });
      } catch {
        // A block that is not JSON is not one of ours: skipped.
      }
    }
  };
}


// Prometheus text exposition format 0.0.4: families with HELP/TYPE, escaped label values, Go-style floats.

export const PROM_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type Labels = Record<string, string>;

export function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Collects metric families and renders them in the text format. */
export class PromWriter {
  private readonly out: string[] = [];

  family(name: string, type: 'counter' | 'gauge', help: string, samples: [Labels, number][]): this {
    this.out.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const l = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
      this.out.push(`${name}${l ? `{${l}}` : ''} ${formatValue(value)}`);
    }
    return this;
  }

  text(): string {
    return this.out.join('\n') + '\n';
  }
}

import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ProfilerError } from '../errors.js';

// The answer of Prometheus' GET /api/v1/query for an instant vector.
const VectorAnswer = Type.Object({
  status: Type.Literal('success'),
  data: Type.Object({
    resultType: Type.Literal('vector'),
    result: Type.Array(Type.Object({
      metric: Type.Record(Type.String(), Type.String()),
      value: Type.Tuple([Type.Number(), Type.String()]),
    })),
  }),
});

const ErrorAnswer = Type.Object({ status: Type.Literal('error'), error: Type.String() });

export interface PromSample {
  labels: Record<string, string>;
  value: number;
}

const promError = (message: string, cause?: unknown): ProfilerError =>
  new ProfilerError('PROF_ERR_PROMETHEUS', message, 503, cause === undefined ? undefined : { cause });

/** One PromQL instant query against a Prometheus server's HTTP API. */
export async function promQuery(baseUrl: string, query: string, timeoutMs = 10_000): Promise<PromSample[]> {
  const url = `${baseUrl.replace(/\/+$/, '')}/api/v1/query?query=${encodeURIComponent(query)}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw promError(`no query answer from Prometheus at ${baseUrl}: ${err instanceof Error ? err.message : String(err)}`, err);
  }
  const body: unknown = await res.json().catch(() => null);
  if (Value.Check(ErrorAnswer, body)) throw promError(`Prometheus at ${baseUrl} refused the query: ${body.error}`);
  if (!Value.Check(VectorAnswer, body)) throw promError(`${baseUrl} did not answer as Prometheus' query API (/api/v1/query, HTTP ${res.status})`);
  return body.data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
}

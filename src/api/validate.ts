import { Kind, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import type { ValueError } from '@sinclair/typebox/errors';
import type { FastifySchemaCompiler } from 'fastify';
import { internal, invalid } from '../errors.js';

const PART: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

/** "body.epoch" from part "body" and TypeBox path "/epoch"; "body" for the root. */
function where(part: string, path: string): string {
  const p = path.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  return [PART[part] ?? part, ...p].join('.');
}

/** The most specific error: into a failed union, the variant error with the deepest path (it names the field). */
function deepest(e: ValueError): ValueError {
  let best = e;
  for (const it of e.errors) {
    const sub = it.First();
    if (sub && sub.path.length > best.path.length) best = deepest(sub);
  }
  return best;
}

/**
 * Validates with TypeBox's compiler: bodies strictly (no type coercion, unknown fields rejected), query strings and
 * path parameters after converting their strings to the declared types. Errors name the field.
 */
export const typeboxValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  if (!(Kind in schema)) throw internal(`route schema for ${httpPart ?? 'request'} is not a TypeBox schema`);
  const check = TypeCompiler.Compile(schema);
  const convert = httpPart === 'querystring' || httpPart === 'params' || httpPart === 'headers';
  return (input: unknown) => {
    const value = convert ? Value.Convert(schema, input) : input;
    if (check.Check(value)) return { value };
    const found = check.Errors(value).First();
    const first = found && deepest(found);
    const msg = first ? `${where(httpPart ?? 'request', first.path)}: ${first.message}` : `${httpPart}: invalid`;
    return { error: invalid(msg) };
  };
};

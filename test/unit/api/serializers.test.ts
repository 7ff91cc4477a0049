import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import { jsonSerializers } from '../../../src/api/app.js';

const schema = Type.Object({ id: Type.String(), n: Type.Integer(), at: Type.Union([Type.Number(), Type.Null()]) });
const route = { method: 'GET', url: '/x', httpStatus: '200', schema };

describe('response serializers', () => {
  it('write JSON.stringify\'s text; checked, a body its schema would serialize differently fails', () => {
    const plain = jsonSerializers(false)(undefined, {})(route);
    const checked = jsonSerializers(true)(undefined, {})(route);
    const good = { id: 'r1', n: 3, at: null };
    assert.equal(plain(good), JSON.stringify(good));
    assert.equal(checked(good), JSON.stringify(good));
    // A field the schema lacks (fast-json-stringify would drop it) and a fraction in an integer (it would round it).
    for (const bad of [{ ...good, secret: 1 }, { ...good, n: 2.5 }]) {
      assert.equal(plain(bad), JSON.stringify(bad), 'unchecked: written as given');
      assert.throws(() => checked(bad), /GET \/x 200: the response differs from its schema's serialization/);
    }
  });
});

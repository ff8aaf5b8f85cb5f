import { describe, expect, it } from 'vitest';
import { createRequestSlot } from '../../../src/server/http/request-slot.js';

describe('createRequestSlot', () => {
  it('attaches a value to an object and reads it back; other objects have none', () => {
    const slot = createRequestSlot<object, string>('test');
    const owner = {};
    expect(slot.get(owner)).toBeUndefined();
    slot.set(owner, 'one');
    expect(slot.get(owner)).toBe('one');
    slot.set(owner, 'two');
    expect(slot.get(owner)).toBe('two');
    expect(slot.get({})).toBeUndefined();
  });

  it('keeps two slots apart on one object', () => {
    const first = createRequestSlot<object, number>('same name');
    const second = createRequestSlot<object, number>('same name');
    const owner = {};
    first.set(owner, 1);
    second.set(owner, 2);
    expect([first.get(owner), second.get(owner)]).toEqual([1, 2]);
  });

  it('is invisible to JSON, keys, spreads and equality', () => {
    const slot = createRequestSlot<Record<string, unknown>, string>('hidden');
    const body = { access_token: 'a', token_type: 'Bearer' };
    slot.set(body, 'grant');
    expect(JSON.stringify(body)).toBe('{"access_token":"a","token_type":"Bearer"}');
    expect(Reflect.ownKeys({ ...body })).toEqual(['access_token', 'token_type']);
    expect(Object.keys(body)).toEqual(['access_token', 'token_type']);
    expect(body).toEqual({ access_token: 'a', token_type: 'Bearer' });
    expect(slot.get({ ...body })).toBeUndefined();
  });

  it('works on a web Request', () => {
    const slot = createRequestSlot<Request, string>('peer');
    const request = new Request('https://as.example/token', { method: 'POST' });
    slot.set(request, '192.0.2.1');
    expect(slot.get(request)).toBe('192.0.2.1');
    expect(slot.get(new Request('https://as.example/token'))).toBeUndefined();
  });

  it('falls back to a WeakMap for objects that take no new property (frozen, sealed, non-extensible)', () => {
    const slot = createRequestSlot<object, string>('fallback');
    const frozen = Object.freeze({});
    const sealed = Object.seal({});
    const closed = Object.preventExtensions({});
    slot.set(frozen, 'f');
    slot.set(sealed, 's');
    slot.set(closed, 'c');
    expect([slot.get(frozen), slot.get(sealed), slot.get(closed)]).toEqual(['f', 's', 'c']);
    expect(Reflect.ownKeys(frozen)).toEqual([]);
  });

  it('replaces a value on an object frozen after the first one was attached', () => {
    const slot = createRequestSlot<object, string>('then frozen');
    const owner = {};
    slot.set(owner, 'before');
    Object.freeze(owner);
    expect(slot.get(owner)).toBe('before');
    slot.set(owner, 'after');
    expect(slot.get(owner)).toBe('after');
  });
});

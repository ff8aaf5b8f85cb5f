import { describe, expect, it } from 'vitest';
import {
  assertCacheBounds,
  conditionalHeaders,
  DEFAULT_CACHE_BOUNDS,
  freshnessTtlMs,
  mergeNotModifiedHeaders,
  validatorsOf,
} from '../../../src/server/cache/http-freshness.js';

const url = 'https://app.example.com/c.json';
const now = Date.UTC(2026, 10, 22, 12, 0, 0);
const ttl = (headers: Record<string, string>) => freshnessTtlMs(url, headers, DEFAULT_CACHE_BOUNDS, now);

describe('CIMD-AS-12 freshness clamped to bounds', () => {
  it('uses max-age within the bounds', () => {
    expect(ttl({ 'cache-control': 'max-age=300' })).toBe(300_000);
  });
  it('raises a short max-age to the lower bound', () => {
    expect(ttl({ 'cache-control': 'max-age=5' })).toBe(60_000);
  });
  it('caps a year-long max-age at the upper bound', () => {
    expect(ttl({ 'cache-control': 'max-age=31536000' })).toBe(86_400_000);
  });
  it('honours Expires relative to Date', () => {
    const headers = { date: new Date(now).toUTCString(), expires: new Date(now + 600_000).toUTCString() };
    expect(ttl(headers)).toBe(600_000);
  });
  it('subtracts Age', () => {
    expect(ttl({ 'cache-control': 'max-age=600', age: '100' })).toBe(500_000);
  });
  it('treats no-store, no-cache and no freshness information as the lower bound', () => {
    expect(ttl({ 'cache-control': 'no-store, max-age=600' })).toBe(60_000);
    expect(ttl({ 'cache-control': 'no-cache' })).toBe(60_000);
    expect(ttl({ 'cache-control': 'no-cache, max-age=600' })).toBe(60_000);
    expect(ttl({})).toBe(60_000);
  });
  it('validates bounds', () => {
    expect(() => assertCacheBounds({ minTtlMs: 10, maxTtlMs: 5 })).toThrow(/maxTtlMs/);
    expect(() => assertCacheBounds({ minTtlMs: -1, maxTtlMs: 5 })).toThrow(/minTtlMs/);
  });
});

describe('validators and 304 merging', () => {
  it('extracts validators and builds conditional headers', () => {
    const validators = validatorsOf({ etag: '"v1"', 'last-modified': 'Sun, 22 Nov 2026 10:00:00 GMT' });
    expect(conditionalHeaders(validators)).toEqual({
      'if-none-match': '"v1"',
      'if-modified-since': 'Sun, 22 Nov 2026 10:00:00 GMT',
    });
    expect(conditionalHeaders({})).toEqual({});
  });
  it('a 304 without freshness headers keeps the stored lifetime; one with them replaces it', () => {
    const stored = { 'cache-control': 'max-age=300', etag: '"v1"', 'content-type': 'application/json' };
    expect(ttl(mergeNotModifiedHeaders(stored, {}))).toBe(300_000);
    expect(ttl(mergeNotModifiedHeaders(stored, { 'cache-control': 'max-age=900' }))).toBe(900_000);
  });
  it('a 304 counts an Expires lifetime from its own time, not the stored response date', () => {
    const stored = {
      date: new Date(now - 3_600_000).toUTCString(),
      expires: new Date(now + 120_000).toUTCString(),
    };
    expect(ttl(mergeNotModifiedHeaders(stored, {}))).toBe(120_000);
    expect(ttl(mergeNotModifiedHeaders(stored, { date: new Date(now).toUTCString() }))).toBe(120_000);
  });
});

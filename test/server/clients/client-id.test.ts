/** CIMD-AS-27: generated DCR client ids never look like CIMD URLs. */
import { describe, expect, it } from 'vitest';
import { generateClientId, isUrlClientId } from '../../../src/server/clients/client-id.js';

describe('CIMD-AS-27 generateClientId', () => {
  it('10 000 generated DCR ids never start with https:// and are unique', () => {
    const ids = Array.from({ length: 10_000 }, generateClientId);
    expect(ids.filter((id) => /^https:\/\//i.test(id) || isUrlClientId(id))).toEqual([]);
    expect(ids.every((id) => /^dcr_[A-Za-z0-9_-]{22}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('isUrlClientId recognises https URLs in any case', () => {
    expect(isUrlClientId('https://app.example.com/c.json')).toBe(true);
    expect(isUrlClientId('HTTPS://app.example.com/c.json')).toBe(true);
    expect(isUrlClientId('http://app.example.com/c.json')).toBe(false);
    expect(isUrlClientId('dcr_abc')).toBe(false);
  });
});

/**
 * The secret box (AES-256-GCM at rest): round trip, a fresh IV per seal, tampering and a wrong
 * context or key refused with ERR_ENCRYPTION_KEY, and the key formats `parseEncryptionKey`
 * accepts (base64url, base64, 64 hex digits, surrounding whitespace) and refuses.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createSecretBox,
  ENCRYPTION_KEY_BYTES,
  generateEncryptionKey,
  parseEncryptionKey,
} from '../../../src/server/secrets/secret-box.js';

const KEY = randomBytes(32);

describe('sealing and opening', () => {
  it('round-trips text (including non-ASCII and empty) for the same context', async () => {
    const box = createSecretBox(KEY);
    for (const text of ['an upstream token', '', 'émoji 🔐 and\nnewlines', 'x'.repeat(10_000)]) {
      const sealed = await box.seal(text, 'upstream-grant:g1');
      expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
      expect(await box.open(sealed, 'upstream-grant:g1')).toBe(text);
    }
  });

  it('uses a fresh IV per seal: the same text seals differently, and never shows the plaintext', async () => {
    const box = createSecretBox(KEY);
    const one = await box.seal('same secret', 'ctx');
    const two = await box.seal('same secret', 'ctx');
    expect(one).not.toBe(two);
    expect(one.split('.')[1]).not.toBe(two.split('.')[1]);
    expect(one).not.toContain('same secret');
    expect(one).not.toContain(Buffer.from('same secret').toString('base64url'));
  });

  it('refuses a value sealed for another context (a record moved to another key)', async () => {
    const box = createSecretBox(KEY);
    const sealed = await box.seal('secret', 'upstream-grant:g1');
    await expect(box.open(sealed, 'upstream-grant:g2')).rejects.toMatchObject({ code: 'ERR_ENCRYPTION_KEY' });
  });

  it('refuses a value sealed with another key', async () => {
    const sealed = await createSecretBox(KEY).seal('secret', 'ctx');
    await expect(createSecretBox(randomBytes(32)).open(sealed, 'ctx')).rejects.toMatchObject({
      code: 'ERR_ENCRYPTION_KEY',
      message: expect.stringMatching(/encryption key changed, or the record was altered/),
    });
  });

  it('refuses every altered byte of the ciphertext and tag, an altered IV, and malformed values', async () => {
    const box = createSecretBox(KEY);
    const sealed = await box.seal('secret value', 'ctx');
    const [version, iv = '', data = ''] = sealed.split('.');
    const bytes = Buffer.from(data, 'base64url');
    for (let index = 0; index < bytes.length; index++) {
      const altered = Buffer.from(bytes);
      altered[index] = (altered[index] ?? 0) ^ 0x01;
      await expect(
        box.open(`${version}.${iv}.${altered.toString('base64url')}`, 'ctx'),
      ).rejects.toMatchObject({
        code: 'ERR_ENCRYPTION_KEY',
      });
    }
    const ivBytes = Buffer.from(iv, 'base64url');
    ivBytes[0] = (ivBytes[0] ?? 0) ^ 0x80;
    await expect(
      box.open(`${version}.${ivBytes.toString('base64url')}.${data}`, 'ctx'),
    ).rejects.toMatchObject({
      code: 'ERR_ENCRYPTION_KEY',
    });
    for (const malformed of [
      '',
      'v1',
      `v2.${iv}.${data}`,
      `v1.${iv}`,
      'v1..',
      `v1.${iv}.${data.slice(0, 10)}`,
    ]) {
      await expect(box.open(malformed, 'ctx')).rejects.toMatchObject({ code: 'ERR_ENCRYPTION_KEY' });
    }
  });
});

describe('encryption keys', () => {
  it('generateEncryptionKey makes 32 random bytes as base64url', () => {
    const key = generateEncryptionKey();
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(parseEncryptionKey(key)).toHaveLength(ENCRYPTION_KEY_BYTES);
    expect(generateEncryptionKey()).not.toBe(key);
  });

  it('accepts base64url, base64 (with padding), and 64 hex digits, ignoring surrounding whitespace; all give the same key', async () => {
    const raw = randomBytes(32);
    const forms = [
      raw.toString('base64url'),
      raw.toString('base64'),
      raw.toString('hex'),
      raw.toString('hex').toUpperCase(),
      `  ${raw.toString('base64url')}\n`,
    ];
    for (const form of forms) expect(Buffer.from(parseEncryptionKey(form))).toEqual(raw);
    // A value sealed with one form opens with another.
    const sealed = await createSecretBox(forms[0] ?? '').seal('secret', 'ctx');
    expect(await createSecretBox(forms[2] ?? '').open(sealed, 'ctx')).toBe('secret');
  });

  it('refuses anything else with ERR_ENCRYPTION_KEY and a message saying how to make one', () => {
    const refused = [
      '',
      'too-short',
      randomBytes(16).toString('base64url'),
      randomBytes(31).toString('base64url'),
      randomBytes(33).toString('base64url'),
      randomBytes(32).toString('hex').slice(0, 63),
      `${randomBytes(32).toString('hex')}0`,
      'g'.repeat(64),
      `${randomBytes(32).toString('base64url').slice(0, 42)}!`,
      'a passphrase that is long enough to look like a key',
    ];
    for (const text of refused) {
      expect(() => parseEncryptionKey(text), text).toThrow(
        expect.objectContaining({
          code: 'ERR_ENCRYPTION_KEY',
          message: expect.stringContaining('openssl rand'),
        }),
      );
    }
    expect(() => createSecretBox(new Uint8Array(16))).toThrow(
      expect.objectContaining({ code: 'ERR_ENCRYPTION_KEY' }),
    );
    expect(() => createSecretBox('not a key')).toThrow(
      expect.objectContaining({ code: 'ERR_ENCRYPTION_KEY' }),
    );
  });
});

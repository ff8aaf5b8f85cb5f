/**
 * Encryption at rest for what the server must keep but never show (upstream tokens, and signing
 * keys in a shared store): AES-256-GCM on Web Crypto with a 96-bit random IV per message, and a
 * context string as additional authenticated data, so a sealed value only opens where it was
 * sealed for (a record sealed for one grant does not open as another's).
 *
 * A sealed value is `v1.<iv>.<ciphertext and tag>`, base64url.
 *
 * @module
 */
import { base64url } from 'jose';
import { CimdError } from '../../errors.js';

/** Seals and opens secrets with one key. */
export interface SecretBox {
  /** Encrypts `plaintext`, bound to `context`. */
  seal(plaintext: string, context: string): Promise<string>;
  /** Decrypts what {@link seal} made for the same `context`; rejects (`ERR_ENCRYPTION_KEY`) otherwise. */
  open(sealed: string, context: string): Promise<string>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The length of an encryption key, in bytes (AES-256). */
export const ENCRYPTION_KEY_BYTES = 32;

/** A new random encryption key, as base64url text (how key files and `CIMD_ENCRYPTION_KEY` hold it). */
export function generateEncryptionKey(): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(ENCRYPTION_KEY_BYTES)));
}

/**
 * Reads an encryption key written as base64url (or base64) of 32 bytes, or as 64 hex digits;
 * surrounding whitespace is ignored.
 *
 * @throws CimdError `ERR_ENCRYPTION_KEY` for anything else.
 */
export function parseEncryptionKey(text: string): Uint8Array {
  const value = text.trim();
  let bytes: Uint8Array | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(value)) {
    bytes = new Uint8Array(value.match(/../g)?.map((pair) => Number.parseInt(pair, 16)) ?? []);
  } else if (/^[A-Za-z0-9_+/-]{43}={0,1}$/.test(value)) {
    try {
      bytes = base64url.decode(value.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''));
    } catch {
      bytes = undefined;
    }
  }
  if (bytes?.length !== ENCRYPTION_KEY_BYTES) {
    throw new CimdError(
      'ERR_ENCRYPTION_KEY',
      'the encryption key must be 32 random bytes, written as base64url (43 characters) or 64 hex digits; make one with `openssl rand -base64 32`',
    );
  }
  return bytes;
}

/** A {@link SecretBox} for `key` (32 bytes, or text that {@link parseEncryptionKey} reads). */
export function createSecretBox(key: Uint8Array | string): SecretBox {
  const raw = typeof key === 'string' ? parseEncryptionKey(key) : key;
  if (raw.length !== ENCRYPTION_KEY_BYTES) {
    throw new CimdError('ERR_ENCRYPTION_KEY', 'the encryption key must be exactly 32 bytes');
  }
  const cryptoKey = crypto.subtle.importKey('raw', new Uint8Array(raw), 'AES-GCM', false, [
    'encrypt',
    'decrypt',
  ]);
  return {
    async seal(plaintext, context) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const sealed = await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: encoder.encode(context) },
        await cryptoKey,
        encoder.encode(plaintext),
      );
      return `v1.${base64url.encode(iv)}.${base64url.encode(new Uint8Array(sealed))}`;
    },
    async open(sealed, context) {
      const [version, iv, data] = sealed.split('.');
      try {
        if (version !== 'v1' || iv === undefined || data === undefined) throw new Error('not a sealed value');
        const plain = await crypto.subtle.decrypt(
          {
            name: 'AES-GCM',
            iv: new Uint8Array(base64url.decode(iv)),
            additionalData: encoder.encode(context),
          },
          await cryptoKey,
          new Uint8Array(base64url.decode(data)),
        );
        return decoder.decode(plain);
      } catch (error) {
        throw new CimdError(
          'ERR_ENCRYPTION_KEY',
          'a stored secret could not be decrypted: the encryption key changed, or the record was altered',
          { cause: error },
        );
      }
    },
  };
}

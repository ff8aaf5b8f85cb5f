/**
 * The `prompt` parameter (OpenID Connect Core §3.1.2.1), which MCP clients may send: `none`,
 * `login` and `consent`, space-separated; `none` alone.
 *
 * @module
 */
import type { OAuthParams } from '../http/params.js';
import { InvalidRequestError } from '../oauth-errors.js';
import { refuse } from './refusal.js';

/** A `prompt` value this server supports. */
export type PromptValue = 'none' | 'login' | 'consent';

const SUPPORTED: ReadonlySet<string> = new Set<PromptValue>(['none', 'login', 'consent']);

/**
 * The `prompt` values of the request (empty when absent). Refuses with `invalid_request` an
 * unsupported value (e.g. `select_account`) and `none` combined with another value.
 */
export function parsePrompt(params: OAuthParams): ReadonlySet<PromptValue> {
  const raw = params.get('prompt');
  if (raw === undefined) return new Set();
  const values = new Set(raw.split(' ').filter((value) => value !== ''));
  for (const value of values) {
    if (!SUPPORTED.has(value)) {
      refuse('prompt_unsupported', new InvalidRequestError('prompt supports only none, login and consent'));
    }
  }
  if (values.has('none') && values.size > 1) {
    refuse('prompt_conflict', new InvalidRequestError('prompt=none cannot be combined with other values'));
  }
  return values as ReadonlySet<PromptValue>;
}

/** `prompt` for the URL the browser returns to after signing in: without `login`, so it is not asked again. */
export function promptAfterLogin(prompt: ReadonlySet<PromptValue>): string | undefined {
  const rest = [...prompt].filter((value) => value !== 'login');
  return rest.length === 0 ? undefined : rest.join(' ');
}

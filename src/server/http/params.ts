/**
 * Reading OAuth request parameters: from the query of a GET, or from an
 * `application/x-www-form-urlencoded` POST body (bounded in size). Every parameter may appear
 * at most once (RFC 6749 §3.1); empty values count as absent (RFC 6749 §3.1).
 *
 * @module
 */
import { InvalidRequestError } from '../oauth-errors.js';
import { decodeUtf8, readBodyBytes } from './body.js';

/** The largest form body read, in bytes (64 KiB): client assertions and codes are far smaller. */
export const MAX_FORM_BYTES = 65_536;

/** Parameters of one request: each name at most once, empty values dropped. */
export class OAuthParams {
  readonly #values: ReadonlyMap<string, string>;
  #record: Readonly<Record<string, string>> | undefined;

  private constructor(values: ReadonlyMap<string, string>) {
    this.#values = values;
  }

  /**
   * Builds the parameters from `search`, refusing a repeated parameter with `invalid_request`
   * (RFC 6749 §3.1). `source` names where they came from, for the message.
   */
  static from(search: URLSearchParams, source = 'the request'): OAuthParams {
    const values = new Map<string, string>();
    const seen = new Set<string>();
    for (const [name, value] of search) {
      if (seen.has(name)) {
        throw new InvalidRequestError(
          `the ${name} parameter is repeated in ${source}; send each parameter once`,
        );
      }
      seen.add(name);
      if (value !== '') values.set(name, value);
    }
    return new OAuthParams(values);
  }

  /** The value of `name`, or undefined when absent or empty. */
  get(name: string): string | undefined {
    return this.#values.get(name);
  }

  /** The value of `name`, or `invalid_request` naming it when absent. */
  require(name: string): string {
    const value = this.#values.get(name);
    if (value === undefined) throw new InvalidRequestError(`the ${name} parameter is missing`);
    return value;
  }

  has(name: string): boolean {
    return this.#values.has(name);
  }

  /** The parameters as URLSearchParams (each once). */
  toSearchParams(): URLSearchParams {
    return new URLSearchParams([...this.#values]);
  }

  /**
   * The parameters as a frozen plain object, one own property each (a name such as `__proto__`
   * included); made once. Cheaper to read than {@link toSearchParams} on the token endpoint.
   */
  toRecord(): Readonly<Record<string, string>> {
    this.#record ??= Object.freeze(Object.fromEntries(this.#values));
    return this.#record;
  }
}

/** The parameters in a GET request's query. */
export function queryParams(request: Request): OAuthParams {
  return OAuthParams.from(new URL(request.url).searchParams, 'the query');
}

/**
 * The parameters of a form POST: the content type must be `application/x-www-form-urlencoded`,
 * the body at most {@link MAX_FORM_BYTES}; credentials in the query string are refused.
 */
export async function formParams(request: Request): Promise<OAuthParams> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new InvalidRequestError('send the parameters as an application/x-www-form-urlencoded body');
  }
  const tooLarge = () => new InvalidRequestError(`the request body is larger than ${MAX_FORM_BYTES} bytes`);
  const body = decodeUtf8(await readBodyBytes(request, MAX_FORM_BYTES, tooLarge));
  if (body === undefined) throw new InvalidRequestError('the request body is not valid UTF-8');
  if (new URL(request.url).search !== '') {
    throw new InvalidRequestError('send parameters in the body, not in the query string');
  }
  return OAuthParams.from(new URLSearchParams(body), 'the request body');
}

/**
 * Adapts a verifier of ours to the MCP SDK's `requireBearerAuth`. The SDK's middleware tells a
 * bad token (401) from a missing scope (403) with `instanceof` on its own error classes, and
 * answers every other error with 500; so our OAuth errors are re-thrown as the SDK's.
 *
 * The SDK is not imported at load time: its error classes are loaded on the first failure
 * (`@modelcontextprotocol/sdk/server/auth/errors.js`), or passed in explicitly (useful when the
 * application loads the SDK some other way, e.g. as CommonJS).
 *
 * @module
 */
import type { AuthInfo, TokenVerifier } from './auth-info.js';

/** A constructor of one of the SDK's OAuth error classes. */
export type McpSdkErrorClass = new (message: string) => Error;

/** The SDK error classes the adapter throws. */
export interface McpSdkErrorClasses {
  InvalidTokenError: McpSdkErrorClass;
  InsufficientScopeError: McpSdkErrorClass;
  InvalidRequestError: McpSdkErrorClass;
  ServerError: McpSdkErrorClass;
}

const SDK_ERRORS_MODULE = '@modelcontextprotocol/sdk/server/auth/errors.js';

let loaded: Promise<McpSdkErrorClasses | undefined> | undefined;

function loadSdkErrors(): Promise<McpSdkErrorClasses | undefined> {
  loaded ??= import(SDK_ERRORS_MODULE).then(
    (module: McpSdkErrorClasses) => module,
    () => undefined,
  );
  return loaded;
}

/**
 * `verifier`, throwing the MCP SDK's error classes: `invalid_token` as its `InvalidTokenError`
 * (401), `insufficient_scope` as its `InsufficientScopeError` (403), `invalid_request` as its
 * `InvalidRequestError` (400), anything else as its `ServerError` (500). Use it as
 * `requireBearerAuth({ verifier: mcpSdkVerifier(ourVerifier), resourceMetadataUrl })`.
 *
 * @param errors the SDK's classes; default: imported from the SDK on the first failure. When the
 *   SDK cannot be imported, the original error is re-thrown.
 */
export function mcpSdkVerifier<V extends TokenVerifier>(verifier: V, errors?: McpSdkErrorClasses): V {
  async function verifyAccessToken(token: string): Promise<AuthInfo> {
    try {
      return await verifier.verifyAccessToken(token);
    } catch (error) {
      // Already one of the SDK's errors (a wrapped SDK verifier): pass it on as it is.
      if (typeof (error as { errorCode?: unknown }).errorCode === 'string') throw error;
      const classes = errors ?? (await loadSdkErrors());
      if (classes === undefined) throw error;
      const { error: code } = error as { error?: unknown };
      const message = error instanceof Error ? error.message : 'the access token could not be checked';
      switch (code) {
        case 'invalid_token':
          throw new classes.InvalidTokenError(message);
        case 'insufficient_scope':
          throw new classes.InsufficientScopeError(message);
        case 'invalid_request':
          throw new classes.InvalidRequestError(message);
        default:
          throw new classes.ServerError(
            code === undefined ? 'the access token could not be checked' : message,
          );
      }
    }
  }
  return Object.assign(Object.create(verifier) as V, { verifyAccessToken });
}

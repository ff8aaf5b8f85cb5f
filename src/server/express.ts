/**
 * `mcp-cimd/server/express`: Express adapters for a protected MCP server (the MCP SDK's servers
 * run on Express). Express is an optional peer: this module imports only its types, so it loads
 * without Express installed.
 *
 * ```ts
 * app.use(protectedResourceMetadataRouter(metadata));
 * app.post('/mcp', requireBearer({ verifier, resourceMetadataUrl }), mcpHandler);
 * // or the SDK's own middleware:
 * app.post('/mcp', requireBearerAuth({ verifier: mcpSdkVerifier(verifier), resourceMetadataUrl }), mcpHandler);
 * ```
 *
 * @module
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AuthInfo } from './resource/auth-info.js';
import { type BearerAuthOptions, createBearerAuthenticator } from './resource/authenticate.js';
import type { HttpReply } from './resource/http-reply.js';
import { metadataReply } from './resource/metadata-endpoint.js';
import {
  type ProtectedResourceMetadata,
  protectedResourceMetadataPath,
} from './resource/protected-resource-metadata.js';

export type { AuthInfo, TokenVerifier } from './resource/auth-info.js';
export type { BearerAuthOptions } from './resource/authenticate.js';
export {
  type McpSdkErrorClass,
  type McpSdkErrorClasses,
  mcpSdkVerifier,
} from './resource/mcp-sdk-verifier.js';

/** An Express request after {@link requireBearer}: `req.auth` is the verified token (as the SDK sets it). */
export type RequestWithAuth = Request & { auth?: AuthInfo };

function send(res: Response, reply: HttpReply): void {
  res.status(reply.status);
  for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value);
  res.end(reply.body);
}

/**
 * Express middleware requiring a valid bearer token; see `createBearerAuthenticator` for the
 * rules and answers (401 with `WWW-Authenticate: Bearer resource_metadata="…"`, 403
 * `insufficient_scope`, 400 `invalid_request`). On success sets `req.auth` (the MCP SDK's
 * transports pass it to tool handlers as `extra.authInfo`) and calls `next()`.
 *
 * @throws InvalidOptionError at creation when an option is invalid.
 */
export function requireBearer(options: BearerAuthOptions): RequestHandler {
  const authenticate = createBearerAuthenticator(options);
  return (req: Request, res: Response, next: NextFunction) => {
    // Node keeps only the first of repeated Authorization headers in `headers`; look at all of them.
    const authorization = req.headersDistinct?.authorization ?? req.headers.authorization;
    const target = req.originalUrl ?? req.url;
    const dpop = req.headersDistinct?.dpop ?? req.headers.dpop;
    authenticate({
      authorization,
      // DPoP's htu is compared with the absolute URL of the request as received.
      url: `${req.protocol ?? 'http'}://${req.headers.host ?? 'localhost'}${target}`,
      method: req.method,
      ...(dpop === undefined ? {} : { dpop }),
    }).then((result) => {
      if (!result.ok) {
        send(res, result.reply);
        return;
      }
      for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
      (req as RequestWithAuth).auth = result.authInfo;
      next();
    }, next);
  };
}

/**
 * Express middleware serving `metadata` at its well-known path (derived from
 * `metadata.resource`, DISC-01, relative to where it is mounted): `GET`/`HEAD` with
 * `application/json` and `Access-Control-Allow-Origin: *`, the CORS preflight, 405 for other
 * methods. Other paths pass through. Mount it with `app.use(...)`.
 */
export function protectedResourceMetadataRouter(metadata: ProtectedResourceMetadata): RequestHandler {
  const path = protectedResourceMetadataPath(metadata.resource);
  const frozen = structuredClone(metadata);
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.path !== path) {
      next();
      return;
    }
    const preflight = req.headers['access-control-request-headers'];
    send(res, metadataReply(frozen, { method: req.method, accessControlRequestHeaders: preflight }));
  };
}

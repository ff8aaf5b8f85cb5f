// Child process: one resource-server variant answering GET /protected behind a bearer check.
// argv[2] is the variant: limit | sdk | ours-express | ours-hono. BENCH_JWKS, BENCH_ISSUER and
// BENCH_RESOURCE come from the parent. Sends { ready, port } over IPC.
import http from 'node:http';
import { createLocalJWKSet, jwtVerify } from 'jose';

const variant = process.argv[2];
const jwks = JSON.parse(process.env.BENCH_JWKS);
const issuer = process.env.BENCH_ISSUER;
const resource = process.env.BENCH_RESOURCE;
const scope = 'mcp:tools';
const resourceMetadataUrl = 'https://rs.example/.well-known/oauth-protected-resource/mcp';
const keys = createLocalJWKSet(jwks);
const verifyOptions = { issuer, audience: resource, algorithms: ['ES256'] };
const body = JSON.stringify({ ok: true });

async function listen(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.send({ ready: true, port: server.address().port });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

if (variant === 'limit') {
  await listen(
    http.createServer(async (req, res) => {
      const header = req.headers.authorization ?? '';
      try {
        if (!header.startsWith('Bearer ')) throw new Error('no token');
        const { payload } = await jwtVerify(header.slice(7), keys, verifyOptions);
        if (typeof payload.scope !== 'string' || !payload.scope.split(' ').includes(scope)) {
          res.writeHead(403).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      } catch {
        res.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
      }
    }),
  );
} else if (variant === 'sdk' || variant === 'ours-express') {
  const { default: express } = await import('express');
  const app = express();
  let middleware;
  if (variant === 'sdk') {
    const { requireBearerAuth } = await import(
      '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js'
    );
    const { InvalidTokenError } = await import('@modelcontextprotocol/sdk/server/auth/errors.js');
    const verifier = {
      async verifyAccessToken(token) {
        let payload;
        try {
          ({ payload } = await jwtVerify(token, keys, verifyOptions));
        } catch (error) {
          throw new InvalidTokenError(error.message);
        }
        return {
          token,
          clientId: payload.client_id,
          scopes: typeof payload.scope === 'string' ? payload.scope.split(' ') : [],
          expiresAt: payload.exp,
          resource: new URL(resource),
          extra: { sub: payload.sub },
        };
      },
    };
    middleware = requireBearerAuth({ verifier, requiredScopes: [scope], resourceMetadataUrl });
  } else {
    const { createAccessTokenVerifier } = await import('mcp-cimd/server');
    const { requireBearer } = await import('mcp-cimd/server/express');
    const verifier = createAccessTokenVerifier({ issuer, audience: resource, jwks, requiredScopes: [scope] });
    middleware = requireBearer({ verifier, resourceMetadataUrl });
  }
  app.get('/protected', middleware, (_req, res) => {
    res.json({ ok: true });
  });
  await listen(http.createServer(app));
} else if (variant === 'ours-hono') {
  const { Hono } = await import('hono');
  const { createAdaptorServer } = await import('@hono/node-server');
  const { bearerAuth, createAccessTokenVerifier } = await import('mcp-cimd/server');
  const verifier = createAccessTokenVerifier({ issuer, audience: resource, jwks, requiredScopes: [scope] });
  const app = new Hono();
  app.use('/protected', bearerAuth({ verifier, resourceMetadataUrl }));
  app.get('/protected', (c) => c.json({ ok: true }));
  await listen(createAdaptorServer({ fetch: app.fetch }));
} else {
  console.error(`unknown variant ${variant}`);
  process.exit(2);
}

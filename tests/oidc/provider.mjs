// A real OpenID Connect provider for the sign-in tests: `oidc-provider` (certified) on 127.0.0.1.
//
//   node provider.mjs STATE.json
//
// STATE.json (written by tests/oidc/__init__.py) holds the port, the registered clients and the
// test users (login name -> claims, e.g. {"email": ..., "name": ..., "groups": [...]}). The file is
// read again on every sign-in, so a test can move a user to another group between two sign-ins.
// Its "id_token" key makes the provider misbehave on purpose for the refusal tests: "tampered"
// (payload changed after signing), "wrong-audience" and "expired" (re-signed with the provider's
// own key, so only the claim is wrong). The login page is oidc-provider's own (any password).
import { readFileSync } from 'node:fs';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const statePath = process.argv[2];
const readState = () => JSON.parse(readFileSync(statePath, 'utf8'));
const initial = readState();
const issuer = `http://127.0.0.1:${initial.port}`;

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await jose.exportJWK(privateKey)), kid: 'test-signing-key', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: initial.clients.map((client) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...client,
  })),
  jwks: { keys: [signingKey] },
  cookies: { keys: ['test-provider-cookie-key'] },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
  // The ID token carries the requested claims (as Entra ID's does), not only the userinfo endpoint.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  async findAccount(ctx, id) {
    const user = readState().users[id];
    if (!user) return undefined;
    return { accountId: id, async claims() { return { sub: id, email_verified: true, ...user }; } };
  },
  // First-party clients: no consent screen, the grant covers what the client asked for.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile groups');
    await grant.save();
    return grant;
  },
});

async function misbehave(idToken, mode) {
  const [header, payload, signature] = idToken.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  if (mode === 'tampered') {
    claims.groups = ['admins'];
    return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
  }
  const now = Math.floor(Date.now() / 1000);
  if (mode === 'wrong-audience') claims.aud = 'another-application';
  if (mode === 'expired') Object.assign(claims, { iat: now - 7200, exp: now - 3600 });
  return new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: signingKey.kid }).sign(privateKey);
}

provider.use(async (ctx, next) => {
  await next();
  const mode = readState().id_token;
  if (ctx.path === '/token' && mode && ctx.body?.id_token) {
    ctx.body = { ...ctx.body, id_token: await misbehave(ctx.body.id_token, mode) };
  }
});

provider.listen(initial.port, '127.0.0.1', () => console.log(`oidc-provider listening on ${issuer}`));

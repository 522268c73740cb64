// A certified OpenID Provider (the `oidc-provider` package) for the tests, on a loopback port.
//
// Everything comes from the JSON in OIDC_PROVIDER_CONFIG, written by tests/oidc/fixtures.py:
//   { "port": 4444, "clients": [...client metadata...], "accounts": { "login": {claims} },
//     "jwks": {"keys": [private JWK]}, "idTokenTTL": {"client_id": seconds}, "cookieKeys": [...] }
// It prints "ready <issuer>" once it listens, and runs until it is sent SIGTERM.
import Provider from 'oidc-provider';

const config = JSON.parse(process.env.OIDC_PROVIDER_CONFIG);
const issuer = `http://127.0.0.1:${config.port}`;
const accounts = config.accounts || {};
const shortLived = config.idTokenTTL || {};

const provider = new Provider(issuer, {
  clients: config.clients,
  jwks: config.jwks,
  cookies: { keys: config.cookieKeys },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name'],
  },
  // The devInteractions log in whatever login is typed: only the known ones are accounts.
  async findAccount(ctx, id) {
    const claims = accounts[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
  ttl: {
    IdToken(ctx, token, client) { return shortLived[client.clientId] || 3600; },
    AccessToken: 600,
    AuthorizationCode: 60,
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
  },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    // Userinfo as a signed JWT, for the clients that ask (as ProConnect answers).
    jwtUserinfo: { enabled: true },
  },
  // Errors are printed so that a failing test shows what the provider refused, and why.
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><title>oops</title><h1>${out.error}</h1><p>${out.error_description || ''}</p>`;
  },
});

provider.on('server_error', (ctx, error) => console.error('server_error', error));

const server = provider.listen(config.port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));

// A real OpenID Connect provider for the browser journeys: npm's oidc-provider (the certified
// implementation) on 127.0.0.1, standing in for Microsoft Entra ID and Google Workspace.
//
//   node tests/e2e/oidc/provider.mjs CONFIG.json
//
// CONFIG.json (written by the pytest fixture in tests/e2e/test_sso_journeys.py):
//   { "port": 0, "clients": [{ "client_id", "client_secret", "redirect_uris": [...] }],
//     "accounts": { "<email>": { "claims": { "tid", "hd", "email_verified", ... },
//                                "amr": ["pwd", "mfa"] } } }
//
// Prints "listening <issuer>" on one line once it answers. Signing in is a tiny form: the
// person types their email and presses "Sign in"; the account's `amr` goes into the ID token.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = config.accounts;

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head>
<body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;
}

async function readForm(req) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return new URLSearchParams(raw);
}

const server = createServer();
server.listen(config.port || 0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: config.clients.map((client) => ({
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
      ...client,
    })),
    // `amr` (how the person signed in) is listed under openid so the ID token always has it.
    claims: {
      openid: ['sub', 'tid', 'hd', 'amr'],
      email: ['email', 'email_verified', 'xms_edov'],
      profile: ['name'],
    },
    // The claims go in the ID token, the only place Safeguard reads them.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: ['safeguard-e2e-only'] },
    pkce: { required: () => true },
    async findAccount(ctx, id) {
      const account = accounts[id];
      if (!account) return undefined;
      return {
        accountId: id,
        async claims() {
          return { sub: id, email: id, name: id, ...account.claims };
        },
      };
    },
    // First-party clients: consent is given once signed in (no consent page).
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
  });
  provider.on('server_error', (ctx, error) => console.error('server_error', error));
  const callback = provider.callback();

  server.on('request', async (req, res) => {
    const match = req.url.match(/^\/interaction\/([^/?]+)/);
    if (!match) {
      callback(req, res);
      return;
    }
    try {
      const details = await provider.interactionDetails(req, res);
      if (req.method === 'POST') {
        const form = await readForm(req);
        if (form.get('deny')) {
          await provider.interactionFinished(req, res, {
            error: 'access_denied', error_description: 'The person refused.',
          }, { mergeWithLastSubmission: false });
          return;
        }
        const email = (form.get('email') || '').trim();
        const account = accounts[email];
        if (!account) {
          res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
          res.end(page('Sign in to the test provider', `<p role="alert">No such account.</p>`));
          return;
        }
        await provider.interactionFinished(req, res, {
          login: { accountId: email, amr: account.amr || ['pwd'] },
        }, { mergeWithLastSubmission: false });
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(page('Sign in to the test provider', `
<p>Client: ${escape(details.params.client_id)}</p>
<form method="post" action="/interaction/${escape(details.uid)}">
  <label for="email">Email</label>
  <input id="email" name="email" type="email" autocomplete="username">
  <button type="submit">Sign in</button>
  <button type="submit" name="deny" value="1">Cancel</button>
</form>`));
    } catch (error) {
      res.writeHead(400, { 'Content-Type': 'text/plain' });
      res.end(String(error));
    }
  });
  console.log(`listening ${issuer}`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));

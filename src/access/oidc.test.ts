/**
 * OpenID Connect sign-in end to end against a real provider (oidc-provider) on 127.0.0.1, driven
 * the way a browser would: redirects followed by hand, cookies kept, login and consent answered.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { beginOidcSignIn, completeOidcSignIn, openOidcProvider, type OidcProvider } from './oidc.ts';
import { touchSession } from './sessions.ts';
import { recordingSink, seedPartners } from './testing.ts';
import { mapRoleClaims, parseRoleRules, type ClaimMapping } from './claimMapping.ts';

interface GrantLike { addOIDCScope(s: string): void; addOIDCClaims(c: string[]): void; save(): Promise<string> }
interface InteractionDetails { prompt: { name: string; details: { missingOIDCScope?: string[]; missingOIDCClaims?: string[] } }; params: { client_id: string }; session?: { accountId: string } }
interface ProviderLike {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
  interactionFinished(req: IncomingMessage, res: ServerResponse, result: object, opts?: object): Promise<void>;
  Grant: new (o: { accountId: string; clientId: string }) => GrantLike;
}

const REDIRECT = 'http://127.0.0.1/oidc/callback';
const role = (org: string, code: string, id: string) => ({ person_orgid: `o-${id}`, person_roleid: id, org_code: org, role_code: `S8000:G8000:${code}`, role_name: '"Clinical":"Clinical Provision":"Nurse Access Role"' });
const ACCOUNTS: Record<string, Record<string, unknown>> = {
  alice: { name: 'Alice Nurse', nhsid_nrbac_roles: [role('RTG', 'R8001', 'r1'), role('RJE', 'R8001', 'r2')], selected_roleid: 'r2' },
  bob: { name: 'Bob Elsewhere', nhsid_nrbac_roles: [role('ZZZ01', 'R8001', 'r3')] },
  carol: { name: 'Carol Clerk', nhsid_nrbac_roles: [{ ...role('RJE', 'R9999', 'r4'), role_name: '"Admin":"Clerical":"Receptionist"' }] },
};

describe('mapRoleClaims', () => {
  const rules = parseRoleRules('R8001=clinician,"Receptionist"=gp-practice-staff');
  if (!rules.ok) throw new Error(rules.message);
  const mapping: ClaimMapping = { rolesClaim: 'nhsid_nrbac_roles', selectedRoleClaim: 'selected_roleid', rules: rules.rules };
  it.each([
    ['the selected role only', ACCOUNTS.alice!, { ok: true, candidates: [{ role: 'clinician', organisationOds: 'RJE', roleProfileId: 'r2' }] }],
    ['every mappable role when none is selected', { nhsid_nrbac_roles: [role('rtg', 'R8001', 'a'), role('RJE', 'R7777', 'b')] }, { ok: true, candidates: [{ role: 'clinician', organisationOds: 'RTG', roleProfileId: 'a' }] }],
    ['a role matched by name', ACCOUNTS.carol!, { ok: true, candidates: [{ role: 'gp-practice-staff', organisationOds: 'RJE', roleProfileId: 'r4' }] }],
    ['a selected role that maps to nothing', { nhsid_nrbac_roles: [role('RJE', 'R7777', 'a'), role('RJE', 'R8001', 'b')], selected_roleid: 'a' }, { ok: false, code: 'unknown-role' }],
    ['no roles claim', { name: 'x' }, { ok: false, code: 'no-role-claim' }],
    ['an empty roles claim', { nhsid_nrbac_roles: [] }, { ok: false, code: 'no-role-claim' }],
  ])('maps %s', (_n, claims, expected) => {
    expect(mapRoleClaims(claims, mapping)).toMatchObject(expected);
  });
  it.each([['R8001', false], ['R8001=surgeon', false], ['=clinician', false], ['R8001=clinician', true]])('reads rules %j', (text, ok) => {
    expect(parseRoleRules(text).ok).toBe(ok);
  });
});

describe.each(testEngines())('OpenID Connect sign-in on %s', (engine) => {
  let t: TestDatabase;
  let server: Server;
  let issuer: string;
  let provider: OidcProvider;
  let nextAccount = 'alice';

  beforeAll(async () => {
    t = await createTestDatabase(engine);
    await seedPartners(t.db);
    let handler: (req: IncomingMessage, res: ServerResponse) => void = (_q, s) => s.end();
    server = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // @ts-expect-error oidc-provider ships no type declarations
    const mod = (await import('oidc-provider')) as { default: new (issuer: string, config: object) => ProviderLike };
    const op = new mod.default(issuer, {
      clients: [{ client_id: 'ohc', client_secret: 'a-test-client-secret-of-some-length', redirect_uris: [REDIRECT], grant_types: ['authorization_code'], response_types: ['code'] }],
      scopes: ['openid', 'profile', 'nationalrbacaccess'],
      claims: { openid: ['sub'], profile: ['name'], nationalrbacaccess: ['nhsid_nrbac_roles', 'selected_roleid'], amr: null },
      findAccount: (_ctx: unknown, id: string) => ({ accountId: id, claims: () => ({ sub: id, ...ACCOUNTS[id] }) }),
      interactions: { url: (_ctx: unknown, i: { uid: string }) => `/interaction/${i.uid}` },
      features: { devInteractions: { enabled: false }, claimsParameter: { enabled: true } },
      cookies: { keys: ['test-cookie-key-1'] },
    });
    const callback = op.callback();
    handler = (req, res) => {
      if (!req.url?.startsWith('/interaction/')) return callback(req, res);
      void (async () => {
        const details = await op.interactionDetails(req, res);
        if (details.prompt.name === 'login') {
          await op.interactionFinished(req, res, { login: { accountId: nextAccount, amr: ['pwd', 'otp'] } }, { mergeWithLastSubmission: false });
          return;
        }
        const grant = new op.Grant({ accountId: details.session!.accountId, clientId: details.params.client_id });
        if (details.prompt.details.missingOIDCScope) grant.addOIDCScope(details.prompt.details.missingOIDCScope.join(' '));
        if (details.prompt.details.missingOIDCClaims) grant.addOIDCClaims(details.prompt.details.missingOIDCClaims);
        await op.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
      })();
    };
    const rules = parseRoleRules('R8001=clinician');
    if (!rules.ok) throw new Error(rules.message);
    provider = await openOidcProvider({
      issuer, clientId: 'ohc', clientSecret: 'a-test-client-secret-of-some-length', redirectUri: REDIRECT,
      scope: 'openid profile nationalrbacaccess', roleRules: rules.rules, allowInsecureHttp: true,
    });
  }, 30_000);
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await t.dispose();
  });

  /** Follows redirects like a browser until the provider sends it back to our callback. */
  async function browse(start: URL): Promise<URL> {
    const jar = new Map<string, string>();
    let url = start;
    for (let hop = 0; hop < 20; hop++) {
      if (url.href.startsWith(REDIRECT)) return url;
      const res = await fetch(url, { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const i = pair!.indexOf('=');
        jar.set(pair!.slice(0, i), pair!.slice(i + 1));
      }
      const location = res.headers.get('location');
      await res.arrayBuffer();
      if (!location) throw new Error(`stopped at ${url.pathname} with ${res.status}`);
      url = new URL(location, url);
    }
    throw new Error('too many redirects');
  }

  it('creates the user from the selected role, opens a confirmed session, and updates the user next time', async () => {
    const audit = recordingSink();
    nextAccount = 'alice';
    const { url, pending } = await beginOidcSignIn(provider);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    const result = await completeOidcSignIn(t.db, provider, await browse(url), pending, new Date(), audit.sink);
    if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
    expect(result).toMatchObject({ created: true, mfaSatisfied: true, user: { username: 'oidc-alice', name: 'Alice Nurse', organisationOds: 'RJE', role: 'clinician', oidcIssuer: issuer } });
    const s = await touchSession(t.db, result.session.sessionId, new Date(), audit.sink);
    expect(s.ok && s.session).toMatchObject({ method: 'oidc', mfaSatisfied: true, userId: result.user.id });
    expect(audit.events.map((e) => [e.action, e.details.change ?? e.details.method])).toEqual([['user-changed', 'created-from-provider'], ['sign-in', 'oidc']]);

    const original = ACCOUNTS.alice!;
    ACCOUNTS.alice = { ...original, name: 'Alice Nurse-Smith' };
    try {
      const again = await beginOidcSignIn(provider);
      const second = await completeOidcSignIn(t.db, provider, await browse(again.url), again.pending, new Date(), audit.sink);
      expect(second).toMatchObject({ ok: true, created: false, user: { id: result.user.id, name: 'Alice Nurse-Smith' } });
    } finally {
      ACCOUNTS.alice = original;
    }
  });

  it.each([
    ['bob', 'unknown-organisation'],
    ['carol', 'unknown-role'],
  ])('refuses %s (%s) and creates no user', async (account, code) => {
    const audit = recordingSink();
    nextAccount = account;
    const { url, pending } = await beginOidcSignIn(provider);
    expect(await completeOidcSignIn(t.db, provider, await browse(url), pending, new Date(), audit.sink)).toMatchObject({ ok: false, code });
    expect(await t.db.selectFrom('users').select('id').where('oidc_subject', '=', account).execute()).toEqual([]);
    expect(audit.events).toEqual([expect.objectContaining({ action: 'sign-in-failed', details: { method: 'oidc', reason: code } })]);
  });

  it('refuses a callback whose state does not match (a forged or replayed redirect)', async () => {
    const audit = recordingSink();
    nextAccount = 'alice';
    const { url, pending } = await beginOidcSignIn(provider);
    const callback = await browse(url);
    expect(await completeOidcSignIn(t.db, provider, callback, { ...pending, state: 'something-else' }, new Date(), audit.sink)).toMatchObject({ ok: false, code: 'provider-error' });
  });
});

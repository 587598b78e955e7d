// SIOPv2 / ID1 wallet interop: a third-party wallet library (@sphereon/did-auth-siop, the
// OP side) answers vouch's legacy ID1 presentation sessions (DIF JWT VC Presentation
// Profile: SIOPv2 ID Token + OpenID4VP draft with Presentation Exchange), and the outcome
// is read back through vouch's management API.
//
//   node run.mjs --base http://localhost:8080 --env <environment id> \
//                --client-id <admin client id> --client-secret <secret>
//
// (or VOUCH_INTEROP_BASE, VOUCH_INTEROP_ENV, VOUCH_INTEROP_CLIENT_ID,
// VOUCH_INTEROP_CLIENT_SECRET). One line per case, PASS or FAIL with the reason; exits 1 if
// any case failed. VOUCH_INTEROP_DEBUG=1 prints stack traces.
//
// The library takes vouch's request objects as vouch signs them: nothing is edited on the
// way (an earlier vouch listed ES384 for ID Tokens, used `anyOf` in the type filter and
// named JWT VCs only `jwt_vc_json`; the library refused all three, and vouch changed).

import { randomBytes } from 'node:crypto';

import { Cases, interopOptions } from '../lib/cases.mjs';
import { Vouch, check, show } from '../lib/vouch.mjs';
import { holderKey, answer } from './wallet.mjs';

const opts = interopOptions();
const cases = new Cases(opts);
const vouch = new Vouch({ base: opts.base, env: opts.env, clientId: opts['client-id'], clientSecret: opts['client-secret'] });


const FIELDS = [
  { id: 'a', type: 'Alphanumeric Text', title: 'Policy ID', isVisible: true, required: true },
  { id: 'b', type: 'Alphanumeric Text', title: 'Plan', isVisible: true },
];
const ctx = {};

// A jwt_vc_json credential bound to a fresh holder DID (did:jwk ES256 or did:key Ed25519).
async function issueJwtVc(method, data) {
  const uc = await vouch.createUserCredential(ctx.user.id, ctx.type.id, data);
  const offer = uc._links?.credentialOfferByValue?.href;
  check(offer, `the user credential has no credentialOfferByValue link: ${show(uc._links)}`);
  const key = await holderKey(method);
  const [vc] = await vouch.issue(offer, [{ configId: `${ctx.type.id}.jwt_vc`, key }]);
  const sub = JSON.parse(Buffer.from(vc.split('.')[1], 'base64url').toString()).sub;
  check(sub === key.did, `the credential's sub is ${sub}, the holder is ${key.did}`);
  return { key, vc, data };
}

async function session(protocol = 'NATIVE') {
  const input = { protocol, protocolVersion: 'ID1', requestedCredentials: [{ type: ctx.type.title, keys: ['Policy ID'] }] };
  const created = await vouch.createSession(input);
  check(created.status === 201, `create session ${show(input)}: HTTP ${created.status} ${show(created.body)}`);
  const link = created.body._links?.appOpenURL?.href;
  check(typeof link === 'string' && /^openid-vc:\/\/\?/.test(link), `appOpenURL ${show(link)}`);
  return { id: created.body.id, link, clientId: created.body.clientId };
}

// Runs the library against a new session and checks what it did on the way.
async function present(held, { protocol, tweak } = {}) {
  const s = await session(protocol);
  const run = await answer(s.link, held.key, held.vc, tweak);
  const methods = run.fetches.map((f) => `${f.method} ${new URL(f.url).pathname}`);
  check(run.fetches[0]?.method === 'GET' && run.fetches[0].url === new URL(s.link).searchParams.get('request_uri'),
    `the library's first request ${show(methods[0])} is not GET request_uri`);
  check(run.verified.some((v) => v.type === 'request-object' && v.method === 'did' && v.didUrl?.startsWith(`${s.clientId}#`)),
    `the library did not ask to verify the request object by the client's did:web key: ${show(run.verified)}`);
  const post = run.fetches.at(-1);
  check(post?.method === 'POST' && post.url === run.payload.response_uri, `the library's last request ${show(methods.at(-1))} is not POST response_uri`);
  const form = new URLSearchParams(post.body);
  check(form.get('id_token') && form.get('vp_token') && form.get('state') === run.payload.state,
    `the library's form has ${show([...form.keys()])}`);
  return { s, run, form };
}

async function expectSuccess(held, { s, run }) {
  check(run.status === 200, `response_uri answered HTTP ${run.status} ${show(run.body)}`);
  const got = await vouch.session(s.id);
  check(got.status === 'VERIFICATION_SUCCESSFUL', `session ${got.status} ${show(got.errors ?? [])}`);
  const cd = await vouch.credentialData(s.id);
  const [item, ...more] = cd.credentialData ?? [];
  check(item && !more.length, `credentialData ${show(cd.credentialData)}`);
  check(item.format === 'jwt_vc_json' && item.issuerId === vouch.env, `credentialData format ${item.format}, issuer ${item.issuerId}`);
  const policy = (item.data ?? []).find((d) => d.key === 'Policy ID');
  check(policy?.value === held.data['Policy ID'], `credentialData.data ${show(item.data)}, expected Policy ID ${held.data['Policy ID']}`);
  const names = (await vouch.events(s.id)).map((e) => e.event);
  check(names.at(-1) === 'VERIFICATION_SUCCESSFUL', `events ${show(names)}`);
  const claims = run.idToken.claims;
  const where = claims._vp_token?.presentation_submission ? 'the ID Token\'s _vp_token' : 'the form';
  return `id_token iss ${claims.iss}, sub ${claims.sub.slice(0, 24)}…, kid ${run.idToken.header.kid.slice(-12)}; submission in ${where}; Policy ID = ${policy.value}`;
}

async function expectFailure({ s, run }, code, why) {
  const got = await vouch.session(s.id);
  const first = got.errors?.[0];
  check(got.status === 'VERIFICATION_FAILED', `session ${got.status} ${show(got.errors ?? [])}, expected VERIFICATION_FAILED ${code}; response_uri HTTP ${run.status} ${show(run.body)}`);
  check(first?.code === code && why.test(first.message ?? ''), `errors[0] ${show(first)}, expected ${code} matching ${why}`);
  check(run.status === 400 && typeof run.body?.error === 'string', `response_uri answered HTTP ${run.status} ${show(run.body)}, expected 400 with an OAuth error`);
  return `${code}: ${first.message} | response_uri 400 ${run.body.error}`;
}

const setupOk = await cases.run('setup: admin token, credential type, user, jwt_vc_json issued to a did:jwk and a did:key holder', async () => {
  await vouch.login();
  const tag = randomBytes(3).toString('hex');
  ctx.type = await vouch.createType(`Interop SIOP ${tag}`, FIELDS);
  ctx.user = await vouch.createUser(`interop-siop-${tag}`);
  ctx.jwk = await issueJwtVc('did:jwk', { 'Policy ID': `P-${tag}-1`, Plan: 'Gold' });
  ctx.key = await issueJwtVc('did:key', { 'Policy ID': `P-${tag}-2`, Plan: 'Silver' });
  return `type ${ctx.type.id}; holders ${ctx.jwk.key.did.slice(0, 20)}…, ${ctx.key.key.did}`;
});

if (setupOk) {
  await cases.run('NATIVE ID1 | jwt_vc_json | holder did:jwk (ES256)', async () => expectSuccess(ctx.jwk, await present(ctx.jwk)));
  await cases.run('OPENID4VP ID1 | jwt_vc_json | holder did:jwk (ES256)', async () => expectSuccess(ctx.jwk, await present(ctx.jwk, { protocol: 'OPENID4VP' })));
  await cases.run('NATIVE ID1 | jwt_vc_json | holder did:key (Ed25519, EdDSA ID Token and VP)', async () => expectSuccess(ctx.key, await present(ctx.key)));

  // ---- negative ----
  await cases.run('library bug: the ID Token iat the library sets (now − 60 000 s) → INVALID_TOKEN', async () =>
    expectFailure(await present(ctx.jwk, { tweak: { fixIat: false } }), 'INVALID_TOKEN', /issued at/));
  await cases.run('negative: ID Token with another nonce → INVALID_TOKEN', async () =>
    expectFailure(await present(ctx.jwk, { tweak: { idToken: (c) => { c.nonce = randomBytes(16).toString('base64url'); } } }), 'INVALID_TOKEN', /nonce/));
  await cases.run('negative: ID Token signed by another key (kid and sub still the holder) → INVALID_TOKEN', async () => {
    const other = await holderKey('did:jwk');
    return expectFailure(await present(ctx.jwk, { tweak: { signWith: other } }), 'INVALID_TOKEN', /signature/);
  });
  await cases.run('negative: ID Token for another aud → INVALID_TOKEN', async () =>
    expectFailure(await present(ctx.jwk, { tweak: { idToken: (c) => { c.aud = 'did:web:verifier.elsewhere.example'; } } }), 'INVALID_TOKEN', /aud/));
}

cases.finish('siop');

// OpenID4VP wallet interop: a third-party wallet library presents vouch-issued credentials
// to vouch presentation sessions, and the outcome is read back through vouch's
// management API.
//
//   node run.mjs --base http://localhost:8080 --env <environment id> \
//                --client-id <admin client id> --client-secret <secret>
//
// (or VOUCH_INTEROP_BASE, VOUCH_INTEROP_ENV, VOUCH_INTEROP_CLIENT_ID,
// VOUCH_INTEROP_CLIENT_SECRET). Prints one line per case, PASS or FAIL with the reason, and
// exits 1 if any case failed. VOUCH_INTEROP_DEBUG=1 prints stack traces.
//
// Who does what: wallet.mjs is the holder (@openid4vc/openid4vp, dcql, @sd-jwt, jose);
// ../lib/vouch.mjs calls the management API and gets the credentials issued (plain fetch
// and node:crypto: issuance is under test in conformance/oid4vci, not here). Nothing is loosened to make a
// case pass: a library's error is printed as it came.

import { createHash, randomBytes } from 'node:crypto';

import { Cases, interopOptions } from '../lib/cases.mjs';
import { Vouch, check, show } from '../lib/vouch.mjs';
import { Wallet, holderKey, holdSdJwt, holdJwtVc } from './wallet.mjs';

// ---- arguments ---------------------------------------------------------------------

const opts = interopOptions();
const cases = new Cases(opts);
const vouch = new Vouch({ base: opts.base, env: opts.env, clientId: opts['client-id'], clientSecret: opts['client-secret'] });
const wallet = new Wallet();

// ---- reporting ---------------------------------------------------------------------


// ---- fixtures ------------------------------------------------------------------------

const FIELDS = [
  { id: 'a', type: 'Alphanumeric Text', title: 'Policy ID', isVisible: true, required: true },
  { id: 'b', type: 'Alphanumeric Text', title: 'Holder name', isVisible: true },
  { id: 'c', type: 'Alphanumeric Text', title: 'Plan', isVisible: true },
];
const TITLES = FIELDS.map((f) => f.title);
const ctx = {};

// A user credential issued in both formats to one wallet: dc+sd-jwt bound to a JWK,
// jwt_vc_json to a did:jwk (the VP is signed by the subject's DID).
async function issueBoth(data) {
  const uc = await vouch.createUserCredential(ctx.user.id, ctx.type.id, data);
  const offer = uc._links?.credentialOfferByValue?.href;
  check(offer, `the user credential has no credentialOfferByValue link: ${show(uc._links)}`);
  const sdKey = await holderKey('jwk');
  const vcKey = await holderKey('did:jwk');
  const [sd, vc] = await vouch.issue(offer, [
    { configId: `${ctx.type.id}.sd_jwt`, key: sdKey },
    { configId: `${ctx.type.id}.jwt_vc`, key: vcKey },
  ]);
  return { uc, data, sd: await holdSdJwt(sd, sdKey), vc: holdJwtVc(vc, vcKey) };
}

// ---- one presentation --------------------------------------------------------------

const BY_REFERENCE = ['decentralized_identifier', 'x509_san_dns', 'x509_hash'];

// Creates the session, lets the wallet open the link, answer and respond. Returns all of
// it; the caller checks the outcome.
async function present(c) {
  const held = c.held ?? (c.format === 'dc+sd-jwt' ? ctx.good.sd : ctx.good.vc);
  const input = {
    protocol: c.protocol ?? 'NATIVE',
    requestedCredentials: [{ type: ctx.type.title, ...(c.keys && { keys: c.keys }) }],
    message: 'OpenID4VP interop: please share your policy card',
    clientIdPrefix: c.prefix,
    responseMode: c.mode,
    ...(BY_REFERENCE.includes(c.prefix) && { requestUriMethod: c.method }),
    ...(c.redirectUri && { redirectUri: c.redirectUri }),
    ...(c.issuerFilter && { issuerFilter: c.issuerFilter }),
  };
  const created = await vouch.createSession(input);
  check(created.status === 201, `create session ${show(input)}: HTTP ${created.status} ${show(created.body)}`);
  const session = created.body;
  const link = session._links?.appOpenURL?.href;
  check(typeof link === 'string' && link.startsWith('openid4vp://'), `session has no openid4vp:// appOpenURL: ${show(session._links)}`);
  check(session.clientId?.startsWith(`${c.prefix}:`), `session clientId ${show(session.clientId)} does not have the prefix ${c.prefix}`);
  const linkParams = new URL(link).searchParams;
  if (BY_REFERENCE.includes(c.prefix)) {
    check(linkParams.get('request_uri'), `the link has no request_uri: ${link}`);
    check((linkParams.get('request_uri_method') ?? 'get') === c.method,
      `the link's request_uri_method is ${show(linkParams.get('request_uri_method'))}, the session asked for ${c.method}: ${link}`);
  } else {
    check(!linkParams.has('request_uri') && linkParams.has('dcql_query'), `a redirect_uri request must be by value: ${link}`);
  }
  if (c.prefix === 'x509_san_dns') {
    check(session.clientId === `x509_san_dns:${new URL(vouch.base).hostname}`, `clientId ${session.clientId}`);
  }
  if (c.prefix === 'x509_hash') {
    check(ctx.chain, 'no X.509 chain at /oid4vp/x509/chain.pem');
    const hash = createHash('sha256').update(ctx.chain[0].raw).digest('base64url');
    check(session.clientId === `x509_hash:${hash}`, `clientId ${session.clientId}, the chain's leaf hashes to ${hash}`);
  }

  // The wallet: resolve (fetch + verify) the request.
  const opened = c.open ? await c.open(link, session) : await wallet.open(link);
  const { resolved, fetches } = opened;
  check(resolved.client.prefix === c.prefix, `the library read the client id prefix as ${resolved.client.prefix}`);
  const payload = resolved.authorizationRequestPayload;
  check(payload.response_mode === c.mode, `response_mode ${payload.response_mode}, expected ${c.mode}`);
  if (BY_REFERENCE.includes(c.prefix)) {
    // (c.open hands the library a request object it fetched itself: by value then.)
    const sendBy = c.open ? 'value' : 'reference';
    check(resolved.jar?.sendBy === sendBy, `the library read the request object as sent by ${show(resolved.jar?.sendBy)}`);
    const expectedSigner = c.prefix === 'decentralized_identifier' ? 'did' : 'x5c';
    check(resolved.jar.signer.method === expectedSigner, `request object signer ${resolved.jar.signer.method}, expected ${expectedSigner}`);
    if (!c.open) {
      check(fetches.length === 1 && fetches[0].method === c.method.toUpperCase() && fetches[0].url === linkParams.get('request_uri'),
        `the library's requests: ${show(fetches.map((f) => `${f.method} ${f.url}`))}`);
    }
  } else {
    check(!resolved.jar, 'a redirect_uri request must not be signed');
  }
  if (c.mode === 'direct_post.jwt') {
    const keys = payload.client_metadata?.jwks?.keys ?? [];
    check(keys.some((k) => k.kty === 'EC' && k.crv === 'P-256' && k.use === 'enc' && k.alg === 'ECDH-ES' && k.kid),
      `client_metadata.jwks has no P-256 ECDH-ES enc key with a kid: ${show(payload.client_metadata?.jwks)}`);
  }

  const answer = await wallet.answer(resolved, held, c.tweak);
  const response = await wallet.respond(resolved, answer.vp_token, { enc: c.enc });
  if (c.mode === 'direct_post.jwt') {
    const jwe = response.created.jarm?.responseJwt ?? '';
    check(jwe.split('.').length === 5, 'direct_post.jwt: the library did not make a compact JWE');
    const h = JSON.parse(Buffer.from(jwe.split('.')[0], 'base64url').toString());
    const kids = (payload.client_metadata.jwks.keys ?? []).map((k) => k.kid);
    check(h.alg === 'ECDH-ES' && h.enc === (c.enc ?? 'A128GCM') && kids.includes(h.kid) && h.epk?.crv === 'P-256',
      `JWE header ${show(h)} (wanted ECDH-ES, ${c.enc ?? 'A128GCM'}, a kid of ${show(kids)}, a P-256 epk)`);
  }
  return { session, held, resolved, payload, answer, response };
}

// The disclosed claims as credentialData shows them ({key, value}, sorted).
function disclosed(held, answer) {
  let claims;
  if (held.format === 'dc+sd-jwt') {
    claims = answer.claims ?? {};
  } else {
    const { id, ...subject } = held.claims.credentialSubject;
    claims = subject;
  }
  return Object.entries(claims).map(([key, value]) => ({ key, value: typeof value === 'string' ? value : JSON.stringify(value) }))
    .sort((a, b) => a.key.localeCompare(b.key));
}

async function expectSuccess(c, run) {
  const { session, held, answer, response } = run;
  const s = await vouch.session(session.id);
  check(s.status === 'VERIFICATION_SUCCESSFUL',
    `session ${s.status} ${show(s.errors ?? [])}; response_uri answered HTTP ${response.status} ${show(response.body)}`);
  check(response.status === 200, `response_uri answered HTTP ${response.status} ${show(response.body)}`);
  if (c.redirectUri) {
    const uri = response.body?.redirect_uri ?? '';
    check(uri.startsWith(`${c.redirectUri}#response_code=`) && uri.length > `${c.redirectUri}#response_code=`.length,
      `response body ${show(response.body)} has no redirect_uri ${c.redirectUri}#response_code=…`);
  } else {
    check(response.body && typeof response.body === 'object' && Object.keys(response.body).length === 0,
      `response body ${show(response.body)}, expected {}`);
  }
  const cd = await vouch.credentialData(session.id);
  const items = cd.credentialData ?? [];
  check(items.length === 1, `credentialData has ${items.length} credentials: ${show(items)}`);
  const [item] = items;
  check(item.format === held.format, `credentialData format ${item.format}, presented ${held.format}`);
  check(item.issuerId === vouch.env, `credentialData issuerId ${item.issuerId}, expected ${vouch.env}`);
  const expected = disclosed(held, answer);
  const got = [...(item.data ?? [])].sort((a, b) => a.key.localeCompare(b.key));
  check(show(got) === show(expected), `credentialData.data ${show(got)}, disclosed ${show(expected)}`);
  const events = await vouch.events(session.id);
  const names = events.map((e) => e.event);
  check(names.includes('RESPONSE_RECEIVED') && names.at(-1) === 'VERIFICATION_SUCCESSFUL', `events ${show(names)}`);
  if (BY_REFERENCE.includes(c.prefix)) {
    const fetched = events.filter((e) => e.event === 'REQUEST_FETCHED');
    check(fetched.length === 1 && fetched[0].detail?.method === c.method.toUpperCase()
      && (!c.walletNonce || fetched[0].detail?.walletNonce === true),
      `REQUEST_FETCHED events ${show(fetched.map((e) => e.detail))}, expected one by ${c.method.toUpperCase()}${c.walletNonce ? ' with a wallet nonce' : ''}`);
  }
  return `${answer.queryId}: ${expected.map((d) => d.key).join(', ') || 'no claims'} disclosed` +
    (c.redirectUri ? `; redirect ${response.body.redirect_uri.replace(/=.*/, '=…')}` : '');
}

async function expectFailure(run, code, why) {
  const { session, response } = run;
  const s = await vouch.session(session.id);
  const first = s.errors?.[0];
  check(s.status === 'VERIFICATION_FAILED',
    `session ${s.status} ${show(s.errors ?? [])}, expected VERIFICATION_FAILED ${code}; response_uri answered HTTP ${response.status} ${show(response.body)}`);
  check(first?.code === code, `errors[0] is ${show(first)}, expected code ${code} (all: ${show(s.errors)})`);
  check(why.test(first.message ?? ''), `errors[0].message ${show(first.message)} does not say why (expected to match ${why})`);
  check(response.status === 400 && typeof response.body?.error === 'string',
    `the session failed as expected (${code}: ${first.message}) but response_uri answered HTTP ${response.status} ${show(response.body)}, expected 400 with an OAuth error`);
  return `${code}: ${first.message} | response_uri 400 ${response.body.error}`;
}

// ---- main --------------------------------------------------------------------------

const setupOk = await cases.run('setup: admin token, credential type, user, credentials issued (one set revoked), trust anchor', async () => {
  await vouch.login();
  const tag = randomBytes(3).toString('hex');
  ctx.type = await vouch.createType(`Interop VP ${tag}`, FIELDS);
  ctx.user = await vouch.createUser(`interop-vp-${tag}`);
  const person = { 'Holder name': 'Zoë Ångström-Nakamura', Plan: 'Gold' };
  ctx.good = await issueBoth({ 'Policy ID': `P-${tag}-1`, ...person });
  // Revoked before any presentation, so no status list the verifier may cache predates it.
  ctx.revoked = await issueBoth({ 'Policy ID': `P-${tag}-2`, ...person });
  await vouch.revoke(ctx.user.id, ctx.revoked.uc.id);
  for (const h of [ctx.good.sd, ctx.good.vc]) {
    for (const t of TITLES) {
      const v = h.format === 'dc+sd-jwt' ? h.claims[t] : h.claims.credentialSubject?.[t];
      check(v === ctx.good.data[t], `issued ${h.format} has ${show(t)} = ${show(v)}`);
    }
  }
  const pem = await vouch.x509Chain();
  let note = 'no X.509 chain served (x509_* cases will fail)';
  if (pem) {
    ctx.chain = wallet.trust(pem);
    note = `X.509 chain of ${ctx.chain.length}, anchor ${ctx.chain.at(-1).subject.replace(/\n/g, ', ')}`;
  }
  return `type ${ctx.type.id}; ${note}`;
});

if (setupOk) {
  // Every format × response mode × client id prefix. Sessions are NATIVE with every
  // field as a key, so the DCQL query names each claim and the SD-JWT presentation
  // discloses them all. request_uri GET and POST alternate over the by-reference
  // prefixes (each prefix, format and mode sees both); redirect_uri requests are by value.
  const formats = ['dc+sd-jwt', 'jwt_vc_json'];
  const modes = ['direct_post', 'direct_post.jwt'];
  const prefixes = ['redirect_uri', 'decentralized_identifier', 'x509_san_dns', 'x509_hash'];
  let first;
  for (const [fi, format] of formats.entries()) {
    for (const [mi, mode] of modes.entries()) {
      for (const [pi, prefix] of prefixes.entries()) {
        const method = (fi + mi + pi) % 2 ? 'post' : 'get';
        const c = { format, mode, prefix, method, keys: TITLES };
        // direct_post.jwt: the wallet prefers A128GCM or A256GCM, in turn.
        if (mode === 'direct_post.jwt') c.enc = (fi + pi) % 2 ? 'A256GCM' : 'A128GCM';
        // One positive control for the issuer filter: the session's own environment.
        if (fi === 1 && mi === 0 && pi === 1) c.issuerFilter = { environmentIds: [vouch.env] };
        const via = BY_REFERENCE.includes(prefix) ? `request_uri ${method.toUpperCase()}` : 'by value';
        const name = `${format} | ${mode}${c.enc ? ` ${c.enc}` : ''} | ${prefix} | ${via}${c.issuerFilter ? ' | issuerFilter = own environment' : ''}`;
        await cases.run(name, async () => {
          const run = await present(c);
          const detail = await expectSuccess(c, run);
          first ??= run;
          return detail;
        });
      }
    }
  }

  await cases.run('NATIVE keys [Policy ID, Plan] | dc+sd-jwt discloses only those | direct_post | decentralized_identifier', async () => {
    const c = { format: 'dc+sd-jwt', mode: 'direct_post', prefix: 'decentralized_identifier', method: 'get', keys: ['Policy ID', 'Plan'] };
    const run = await present(c);
    check(show(Object.keys(run.answer.claims).sort()) === show(['Plan', 'Policy ID']),
      `dcql selected ${show(Object.keys(run.answer.claims))} to disclose`);
    const disclosures = run.answer.presentation.split('~').slice(1, -1);
    check(disclosures.length === 2, `the presentation carries ${disclosures.length} disclosures, expected 2`);
    return expectSuccess(c, run);
  });

  await cases.run('redirectUri: the response answers redirect_uri with a response_code | dc+sd-jwt | decentralized_identifier', async () => {
    const c = { format: 'dc+sd-jwt', mode: 'direct_post', prefix: 'decentralized_identifier', method: 'get', keys: TITLES, redirectUri: 'https://rp.example/done' };
    return expectSuccess(c, await present(c));
  });

  // OPENID4VP sessions ignore keys and ask for the whole card, as PingOne shows it: every
  // field as a DCQL claim, with `claim_sets` falling back from all of them to the fields
  // the type requires, so dcql selects every field the credential has. The issuer filter
  // names the environment's own DID (positive control for `dids`).
  for (const format of ['dc+sd-jwt', 'jwt_vc_json']) {
    await cases.run(`OPENID4VP (the whole card through claim_sets) | ${format} | issuerFilter.dids = own did:web`, async () => {
      const c = { format, protocol: 'OPENID4VP', mode: 'direct_post', prefix: 'decentralized_identifier', method: 'get', issuerFilter: { dids: [vouch.did] } };
      const run = await present(c);
      const selected = format === 'dc+sd-jwt' ? run.answer.claims : run.answer.claims?.credentialSubject ?? {};
      check(show(Object.keys(selected).sort()) === show([...TITLES].sort()),
        `dcql selected ${show(Object.keys(selected))}, expected every field`);
      return expectSuccess(c, run);
    });
  }

  // @openid4vc/openid4vp 0.4.6 POSTs to the request_uri without a wallet_nonce (it sends
  // its wallet metadata fields flattened, not `wallet_metadata` + `wallet_nonce`), so the
  // §5.10 round trip is made here by hand: POST wallet_metadata and wallet_nonce, then the
  // library verifies the returned request object (by value) and that it echoes the nonce.
  await cases.run('request_uri POST with wallet_metadata + wallet_nonce echoed (§5.10) | jwt_vc_json | decentralized_identifier', async () => {
    const nonce = randomBytes(16).toString('base64url');
    const c = {
      format: 'jwt_vc_json', mode: 'direct_post', prefix: 'decentralized_identifier', method: 'post', keys: TITLES, walletNonce: true,
      open: async (link) => {
        const requestUri = new URL(link).searchParams.get('request_uri');
        const r = await fetch(requestUri, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/oauth-authz-req+jwt' },
          body: new URLSearchParams({
            wallet_metadata: JSON.stringify({ vp_formats_supported: { jwt_vc_json: { alg_values: ['ES256'] } } }),
            wallet_nonce: nonce,
          }).toString(),
        });
        const text = await r.text();
        check(r.status === 200, `POST request_uri: HTTP ${r.status} ${text}`);
        check(r.headers.get('content-type')?.startsWith('application/oauth-authz-req+jwt'), `content-type ${r.headers.get('content-type')}`);
        return wallet.open(link, { request: text, expectedNonce: nonce });
      },
    };
    return expectSuccess(c, await present(c));
  });

  // ---- negative cases ----
  const did = { mode: 'direct_post', prefix: 'decentralized_identifier', method: 'get', keys: TITLES };
  for (const format of ['dc+sd-jwt', 'jwt_vc_json']) {
    const what = format === 'dc+sd-jwt' ? 'KB-JWT' : 'VP JWT';
    // The libraries take nonce, aud and iat as given, so these are built by them as is.
    await cases.run(`negative: ${format} ${what} with the wrong nonce → INVALID_TOKEN`, async () =>
      expectFailure(await present({ ...did, format, tweak: { nonce: randomBytes(16).toString('base64url') } }), 'INVALID_TOKEN', /nonce/i));
    await cases.run(`negative: ${format} ${what} for another aud → INVALID_TOKEN`, async () =>
      expectFailure(await present({ ...did, format, tweak: { aud: 'decentralized_identifier:did:web:verifier.elsewhere.example' } }), 'INVALID_TOKEN', /aud/i));
    await cases.run(`negative: ${format} ${what} made 10 minutes ago (iat) → INVALID_TOKEN`, async () =>
      expectFailure(await present({ ...did, format, tweak: { iat: Math.floor(Date.now() / 1000) - 600 } }), 'INVALID_TOKEN', /\biat\b|made at|old|age/i));
    await cases.run(`negative: ${format} revoked credential → INVALID_CREDENTIAL`, async () => {
      const held = format === 'dc+sd-jwt' ? ctx.revoked.sd : ctx.revoked.vc;
      return expectFailure(await present({ ...did, format, held }), 'INVALID_CREDENTIAL', /revoked|status/i);
    });
  }
  await cases.run('negative: dc+sd-jwt disclosure value changed (KB-JWT over the tampered presentation) → INVALID_CREDENTIAL', async () =>
    expectFailure(await present({ ...did, format: 'dc+sd-jwt', tweak: { tamperDisclosure: 'Holder name' } }), 'INVALID_CREDENTIAL', /disclosure|digest/i));
  await cases.run('negative: OPENID4VP issuerFilter.dids names another issuer → INVALID_CREDENTIAL', async () =>
    expectFailure(await present({ ...did, format: 'dc+sd-jwt', protocol: 'OPENID4VP', keys: undefined, issuerFilter: { dids: ['did:web:issuer.elsewhere.example'] } }),
      'INVALID_CREDENTIAL', /issuer/i));
  await cases.run('negative: issuerFilter.environmentIds names another environment → INVALID_CREDENTIAL', async () => {
    ctx.otherEnv ??= await vouch.createEnvironment(`interop-vp-other-${randomBytes(3).toString('hex')}`);
    return expectFailure(await present({ ...did, format: 'jwt_vc_json', issuerFilter: { environmentIds: [ctx.otherEnv] } }), 'INVALID_CREDENTIAL', /issuer/i);
  });
  await cases.run('negative: a second answer to an answered session is refused, the first outcome stays', async () => {
    check(first, 'needs a successful matrix case to answer again');
    const again = await wallet.submit(first.payload, first.response.created);
    check(again.status === 400 && typeof again.body?.error === 'string',
      `second answer: HTTP ${again.status} ${show(again.body)}, expected 400 with an OAuth error`);
    const s = await vouch.session(first.session.id);
    check(s.status === 'VERIFICATION_SUCCESSFUL', `after the second answer the session is ${s.status} ${show(s.errors ?? [])}`);
    return `HTTP 400 ${again.body.error}: ${again.body.error_description ?? ''}`;
  });
}

cases.finish('oid4vp');
